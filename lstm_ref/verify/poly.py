"""The exact zero test for large polynomials: sparse, with packed monomials.

``sp.expand`` decides whether hand − SymPy is the zero polynomial, but it is
slow on what a T = 3 sequence gradient expands to (tens of thousands of
monomials in the atoms and leaves). :func:`expand_sparse` computes the *same*
canonical expanded form — a map monomial -> exact rational coefficient — with
plain Python integers: a monomial ∏ s_k^{e_k} is packed into one integer
Σ e_k 2^{16k}, so multiplying two monomials is adding two integers. The
expression DAG is walked once, each distinct subexpression expanded once.

It is exact (integer and rational coefficients, no floating point): the
polynomial is zero iff every coefficient cancels.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

import sympy as sp

__all__ = ["SparsePoly", "expand_sparse", "NotPolynomial"]

_BITS = 16                       # bits per exponent in a packed monomial
_MAX_DEGREE = (1 << _BITS) - 1   # total degree bound that rules out carries


class NotPolynomial(ValueError):
    """The expression is not a polynomial with rational coefficients."""


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


def _add(p, q):
    r = dict(p[0])
    for m, c in q[0].items():
        v = r.get(m, 0) + c
        if v:
            r[m] = v
        else:
            r.pop(m, None)
    return r, max(p[1], q[1])


def _mul(p, q):
    if len(p[0]) > len(q[0]):
        p, q = q, p
    deg = p[1] + q[1]
    if deg > _MAX_DEGREE:
        raise NotPolynomial(f"degree {deg} exceeds {_MAX_DEGREE}")
    r = {}
    get = r.get
    qi = list(q[0].items())
    for m1, c1 in p[0].items():
        for m2, c2 in qi:
            m = m1 + m2                  # x^a · x^b = x^(a+b): exponents add
            r[m] = get(m, 0) + c1 * c2
    return {m: c for m, c in r.items() if c}, deg


def expand_sparse(expr, symbols=None) -> SparsePoly:
    """Expand ``expr`` (Add, Mul, non-negative integer Pow of symbols and rationals).

    Parameters
    ----------
    expr : sympy.Expr
    symbols : sequence of Symbol, optional
        Variable order; by default the free symbols sorted by name.

    Returns
    -------
    SparsePoly
        The canonical expanded form; ``is_zero()`` iff ``sp.expand(expr) == 0``.

    Raises
    ------
    NotPolynomial
        For functions, negative or symbolic powers, floats.

    Equations
    ---------
    (Σ_a c_a x^a)(Σ_b d_b x^b) = Σ_{a,b} c_a d_b x^{a+b}
    """
    expr = sp.sympify(expr)
    if symbols is None:
        symbols = sorted(expr.free_symbols, key=str)
    symbols = tuple(symbols)
    index = {s: 1 << (_BITS * k) for k, s in enumerate(symbols)}
    memo = {}

    def conv(e):
        hit = memo.get(e)
        if hit is not None:
            return hit
        if e.is_Symbol:
            if e not in index:
                raise NotPolynomial(f"symbol {e} not among the variables")
            r = ({index[e]: 1}, 1)
        elif e.is_Integer:
            r = ({0: int(e)} if e != 0 else {}, 0)
        elif e.is_Rational:
            r = ({0: Fraction(int(e.p), int(e.q))}, 0)
        elif e.is_Add:
            r = ({}, 0)
            for a in e.args:
                r = _add(r, conv(a))
        elif e.is_Mul:
            r = ({0: 1}, 0)
            for a in e.args:
                r = _mul(r, conv(a))
        elif e.is_Pow and e.exp.is_Integer and e.exp >= 0:
            base, r = conv(e.base), ({0: 1}, 0)
            for _ in range(int(e.exp)):
                r = _mul(r, base)
        else:
            raise NotPolynomial(f"not a polynomial: {type(e).__name__} {str(e)[:80]}")
        memo[e] = r
        return r
    return SparsePoly(conv(expr)[0], symbols)
