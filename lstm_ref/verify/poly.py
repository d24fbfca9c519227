"""The exact zero test for large polynomials: sparse, with packed monomials.

``sp.expand`` decides whether hand − SymPy is the zero polynomial, but it is
slow on what a T = 3 sequence gradient expands to (tens of thousands of
monomials in the atoms and leaves). :func:`expand_sparse` computes the *same*
canonical expanded form — a map monomial -> exact rational coefficient — with
plain Python integers: a monomial ∏ s_k^{e_k} is packed into one integer
Σ e_k 2^{16k}, so multiplying two monomials is adding two integers. The
expression DAG is walked once, each distinct subexpression expanded once.

An :class:`Expander` keeps that memo (SymPy subexpression -> expanded form)
across calls, for one fixed or first-come variable order, so the entries of
one gradient reuse each other's shared subtrees (``prove`` makes one per
gradient and compares the two sides' canonical forms). The memo is a pure
function of immutable SymPy nodes: it saves work and never changes a result.
Sums are accumulated in place, linear in their number of terms.

It is exact (integer and rational coefficients, no floating point): the
polynomial is zero iff every coefficient cancels.

:func:`unequal_entries` decides many entries at once, in two passes. The
first keeps chosen subexpressions *opaque*: each (e.g. an activation's
derivative factor 1 − o[0] or 1 − tanh_c[0]², which both a hand formula and
SymPy's derivative contain as such) stands in as one more independent
variable. Equal canonical forms there prove equality, since substituting the
subexpressions back is a ring homomorphism:

    P(x, y) ≡ Q(x, y)  ⇒  P(x, A(x)) ≡ Q(x, A(x)).

Only an entry the first pass cannot match is expanded fully, in the atoms
and leaves alone, which decides it either way. With full peepholes at T = 3
the first pass meets some 3·10⁴ monomials where the full expansion meets
over 10⁶.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

import sympy as sp

__all__ = ["SparsePoly", "Expander", "expand_sparse", "expands_to_zero", "unequal_entries",
           "NotPolynomial", "TooLarge"]

_BITS = 16                       # bits per exponent in a packed monomial
_MAX_DEGREE = (1 << _BITS) - 1   # total degree bound that rules out carries


class NotPolynomial(ValueError):
    """The expression is not a polynomial with rational coefficients."""


class TooLarge(ValueError):
    """An expansion grew beyond the ``max_terms`` its :class:`Expander` allows."""


class SparsePoly(NamedTuple):
    """An expanded polynomial.

    Attributes
    ----------
    terms : dict
        Packed monomial (int) -> nonzero coefficient (int or Fraction).
    symbols : tuple of Symbol
        Symbol k has exponent bits [16k, 16k + 16) of a packed monomial.
    """

    terms: dict
    symbols: tuple

    def is_zero(self) -> bool:
        return not self.terms

    def leading(self, n: int = 4):
        """The first ``n`` terms as a SymPy expression (for messages)."""
        mask = (1 << _BITS) - 1
        out = []
        for mono, coef in sorted(self.terms.items())[:n]:
            term = sp.Rational(coef.numerator, coef.denominator) if isinstance(coef, Fraction) \
                else sp.Integer(coef)
            for k, s in enumerate(self.symbols):
                e = (mono >> (_BITS * k)) & mask
                if e:
                    term *= s ** e
            out.append(term)
        return sp.Add(*out)


def _add_into(r, terms):
    """r += terms, in place (r is a fresh dict owned by the caller)."""
    get, pop = r.get, r.pop
    for m, c in terms.items():
        v = get(m, 0) + c
        if v:
            r[m] = v
        else:
            pop(m, None)


def _mul(p, q, limit=None):
    """Product of two (terms, degree) pairs; the operands are not modified.

    ``limit``: raise :class:`TooLarge` as soon as the product has more terms.
    """
    pt, qt = p[0], q[0]
    deg = p[1] + q[1]
    if deg > _MAX_DEGREE:
        raise NotPolynomial(f"degree {deg} exceeds {_MAX_DEGREE}")
    if len(pt) > len(qt):
        pt, qt = qt, pt
    if not pt:
        return {}, 0
    if len(pt) == 1:                     # a monomial times a polynomial: no collisions
        (m1, c1), = pt.items()
        if c1 == 1:
            return ({m1 + m: c for m, c in qt.items()} if m1 else qt), deg
        return {m1 + m: c1 * c for m, c in qt.items()}, deg
    r = {}
    get = r.get
    qi = list(qt.items())
    for m1, c1 in pt.items():
        for m2, c2 in qi:
            m = m1 + m2                  # x^a · x^b = x^(a+b): exponents add
            r[m] = get(m, 0) + c1 * c2
        if limit is not None and len(r) > limit:
            raise TooLarge(f"more than {limit} terms")
    return {m: c for m, c in r.items() if c}, deg


class Expander:
    """Expand many expressions over one variable order, sharing the work.

    Every distinct subexpression is expanded once and remembered (``memo``) for
    as long as the expander lives, so the entries of one gradient — which share
    the same forward atoms and the same node derivatives — do not expand their
    common subtrees again. The memo is a pure function of the (immutable)
    SymPy subexpression and the variable order: it can only save work, never
    change a result. A failed expansion (:class:`NotPolynomial`) stores
    nothing for the subexpression that failed.

    Parameters
    ----------
    symbols : sequence of Symbol, optional
        The variables, in packing order; expressions must be polynomials in
        them. If omitted, every symbol met gets the next free exponent field,
        in order of first encounter (results are then compared with each
        other, e.g. ``expand(a).terms == expand(b).terms``, which holds iff
        a − b expands to 0).
    opaque : dict, optional
        Sum (a SymPy ``Add``) -> Symbol standing in for it: wherever the sum
        occurs as a subexpression it is not expanded but counted as that
        variable. Then ``expand(a).terms == expand(b).terms`` still implies
        a = b (substitute the sums back), but not conversely.
    max_terms : int, optional
        Give up (:class:`TooLarge`) when a subexpression expands to more
        terms: for a message that shows a difference only if it is small.
    """

    def __init__(self, symbols=None, opaque=None, max_terms=None):
        self._open = symbols is None
        self._symbols = [] if symbols is None else list(symbols)
        self._index = {s: 1 << (_BITS * k) for k, s in enumerate(self._symbols)}
        self._opaque = dict(opaque or {})
        self._limit = max_terms
        self.memo = {}

    @property
    def symbols(self) -> tuple:
        return tuple(self._symbols)

    def __call__(self, expr) -> SparsePoly:
        """The canonical expanded form of ``expr`` (see :func:`expand_sparse`)."""
        return SparsePoly(self._conv(sp.sympify(expr))[0], self.symbols)

    def _bit(self, s):
        bit = self._index.get(s)
        if bit is None:
            if not self._open:
                raise NotPolynomial(f"symbol {s} not among the variables")
            bit = self._index[s] = 1 << (_BITS * len(self._symbols))
            self._symbols.append(s)
        return bit

    def _regroup(self, args):
        """The summands ``args``, with 1 and a u whose 1 + u is opaque taken as one sum.

        SymPy flattens sums: (1 − g²) + X is stored as 1 − g² + X, which hides
        the opaque 1 − g². Regrouping is an identity, so the result stays exact.
        """
        if not self._opaque or sp.S.One not in args:
            return args
        for u in args:
            whole = 1 + u
            if whole in self._opaque:
                rest = list(args)
                rest.remove(sp.S.One)
                rest.remove(u)
                return [whole] + rest
        return args

    def _conv(self, e):
        """(terms, total-degree bound) of e; the returned dict must not be mutated."""
        memo = self.memo
        hit = memo.get(e)
        if hit is not None:
            return hit
        if e.is_Symbol:
            r = ({self._bit(e): 1}, 1)
        elif e.is_Integer:
            r = ({0: int(e)} if e != 0 else {}, 0)
        elif e.is_Rational:
            r = ({0: Fraction(int(e.p), int(e.q))}, 0)
        elif e.is_Add and e in self._opaque:
            r = self._conv(self._opaque[e])     # a stand-in variable, not expanded
        elif e.is_Add:
            terms, deg = {}, 0           # accumulate in place: linear in the number of terms
            for a in self._regroup(e.args):
                t, d = self._conv(a)
                _add_into(terms, t)
                deg = max(deg, d)
            if self._limit is not None and len(terms) > self._limit:
                raise TooLarge(f"more than {self._limit} terms")
            r = (terms, deg)
        elif e.is_Mul:
            r = ({0: 1}, 0)
            for a in e.args:
                r = _mul(r, self._conv(a), self._limit)
        elif e.is_Pow and e.exp.is_Integer and e.exp >= 0:
            base, r = self._conv(e.base), ({0: 1}, 0)
            for _ in range(int(e.exp)):
                r = _mul(r, base, self._limit)
        else:
            raise NotPolynomial(f"not a polynomial: {type(e).__name__} {str(e)[:80]}")
        memo[e] = r
        return r


def expand_sparse(expr, symbols=None, max_terms=None) -> SparsePoly:
    """Expand ``expr`` (Add, Mul, non-negative integer Pow of symbols and rationals).

    Parameters
    ----------
    expr : sympy.Expr
    symbols : sequence of Symbol, optional
        Variable order; by default the free symbols sorted by name.
    max_terms : int, optional
        As for :class:`Expander`.

    Returns
    -------
    SparsePoly
        The canonical expanded form; ``is_zero()`` iff ``sp.expand(expr) == 0``.

    Raises
    ------
    NotPolynomial
        For functions, negative or symbolic powers, floats.
    TooLarge
        A subexpression expands to more than ``max_terms`` terms.

    Equations
    ---------
    (Σ_a c_a x^a)(Σ_b d_b x^b) = Σ_{a,b} c_a d_b x^{a+b}

    Notes
    -----
    To expand many related expressions (the entries of one gradient), use one
    :class:`Expander` over their common variables: shared subexpressions are
    then expanded once for all of them.
    """
    expr = sp.sympify(expr)
    if symbols is None:
        symbols = sorted(expr.free_symbols, key=str)
    return Expander(symbols, max_terms=max_terms)(expr)


def expands_to_zero(e) -> bool:
    """Is ``e`` identically zero as a polynomial or rational function of its symbols?

    Parameters
    ----------
    e : sympy.Expr
        Typically hand − SymPy for one entry, in atoms and leaves.

    Returns
    -------
    bool

    Equations
    ---------
    polynomial: expand_sparse(e) has no terms;  otherwise sp.expand(e) = 0, or,
    for a rational e (BCE's ŷ(1−ŷ)/ŷ), expand(numerator(together(e))) = 0
    """
    try:
        return expand_sparse(e).is_zero()
    except NotPolynomial:
        pass
    d = sp.expand(e)
    if d == 0:
        return True
    if d.is_polynomial() if hasattr(d, "is_polynomial") else True:
        return False
    # rational (e.g. BCE's ŷ(1−ŷ)/ŷ): decide on the numerator
    return sp.expand(sp.numer(sp.together(d))) == 0


def unequal_entries(lhs, rhs, opaque=None) -> list:
    """The indices k at which lhs[k] − rhs[k] is not identically zero.

    Parameters
    ----------
    lhs, rhs : sequence of sympy.Expr
        Equally long (e.g. the entries of a hand formula and of SymPy's
        derivative, in atoms and leaves).
    opaque : dict, optional
        Sum -> stand-in Symbol for the first pass (:class:`Expander`);
        typically ``Graph.derivative_factors()``.

    Returns
    -------
    list of int
        Empty iff every entry is an identity (exact; no sampling).

    Equations
    ---------
    pass 1: expand(lhs[k]) = expand(rhs[k]) with the opaque sums as variables ⇒ equal
    pass 2 (entries pass 1 did not match): expand(lhs[k] − rhs[k]) = 0 in the
    atoms and leaves alone (:func:`expands_to_zero` for rational entries)
    """
    # one memo per pass for all entries: they share subexpressions
    first = Expander(opaque=opaque) if opaque else None
    full = None
    bad = []
    for k, (a, b) in enumerate(zip(lhs, rhs)):
        try:
            if first is not None and first(a).terms == first(b).terms:
                continue
            full = Expander() if full is None else full
            if full(a).terms != full(b).terms:
                bad.append(k)
        except NotPolynomial:
            if not expands_to_zero(a - b):
                bad.append(k)
    return bad
