"""A normal form of index expressions, whose zero is a proof for every size.

:func:`normal_form` rewrites a scalar in index notation (:mod:`.lower`: entries
``M[p, q]`` of leaves and atoms (``Indexed``), ``Sum`` over symbolic ranges, ``KroneckerDelta``,
``Piecewise``) into a canonical sum of terms ``c · Σ_{k…} m`` (m a product of
entries and atoms). Every step is an identity, valid for every value of the
sizes (H, D, V ≥ 1) and of the free indices in their ranges:

1. **decide** a condition (a ``Piecewise`` branch, a delta δ_ab, the range test
   of a collapsed sum) from the ranges of the indices in scope, by linear real
   arithmetic: ``satisfiable(ranges ∧ cond, use_lra_theory=True)`` false means
   the condition never holds, the same for ¬cond means it always holds (an
   integer index is a real one, so what no real satisfies no integer does);
   δ_ab with a range, δ(a, b, (lo, hi)), is δ_ab when lo ≤ a ≤ hi, else 0;
2. **distribute** products over sums (monomials), and a factor into a sum,
   Σ_k a_k · b = Σ_k a_k b (bound indices renamed apart first);
3. **collapse** a delta sum, Σ_{k=lo}^{hi} δ_{k e} m = m[k := e] if lo ≤ e ≤ hi
   (SymPy's ``deltasummation``, only on terms with a factor δ(a, b) in which
   a − b is ±k plus terms free of k, so that e is an integer; its range
   condition decided by step 1), innermost sum first;
4. **count** a sum whose term does not contain its index: Σ_{k=lo}^{hi} m =
   (hi − lo + 1) m;
5. **sums to one**: Σ_{k=0}^{V-1} y_k = 1 for a declared distribution y (the
   softmax ŷ, a soft target), when y_k is the only factor containing k;
6. **rename** bound indices canonically (the alphabetically least renaming to
   k0, k1, … over all permutations; the order of independent sums is
   immaterial) and let SymPy's ``Add`` merge equal terms.

A rule the procedure lacks can only leave terms standing, so a correct
formula may fail to reduce to 0 (reported as "not reduced"); it can never
make a wrong formula reduce to 0. An undecided condition stays a
``Piecewise`` and a function application (σ, tanh that is not an atom) stays
opaque, with its argument in normal form.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import groupby, permutations, product

import sympy as sp
from sympy.concrete.delta import deltasummation
from sympy.logic.inference import satisfiable

__all__ = ["normal_form", "decide", "Scope"]

#: the sizes: every symbol named like this is an integer ≥ 1
SIZE_NAMES = ("H", "D", "V")
_STAR, _OTHER = sp.Symbol("★"), sp.Symbol("◇")     # index signatures (rule 6)


class Scope(dict):
    """Ranges of the indices in scope: index Symbol -> (lo, hi), inclusive."""

    def with_limits(self, limits) -> Scope:
        out = Scope(self)
        out.update({k: (lo, hi) for k, lo, hi in limits})
        return out


@lru_cache(maxsize=8192)
def _sat(formula) -> bool:
    try:
        return satisfiable(formula, use_lra_theory=True) is not False
    except Exception:         # outside linear real arithmetic: decide nothing (= satisfiable)
        return True


@lru_cache(maxsize=8192)
def _decide(cond, ranges):
    bounds = [b for s, lo, hi in ranges for b in (s >= lo, s <= hi)]
    sizes = {s for s in cond.free_symbols.union(*[sp.sympify(b).free_symbols
                                                  for _, lo, hi in ranges for b in (lo, hi)])
             if s.name in SIZE_NAMES}
    bounds += [s >= 1 for s in sorted(sizes, key=str)]
    if not _sat(sp.And(*bounds, cond)):
        return False
    return True if not _sat(sp.And(*bounds, sp.Not(cond))) else None


def decide(cond, scope: Scope):
    """True / False if ``cond`` always / never holds on the ranges of ``scope``, else None.

    The answer is remembered up to a renaming of the indices (which keeps it).

    Equations
    ---------
    never:  ranges ∧ cond unsatisfiable;   always: ranges ∧ ¬cond unsatisfiable
    (ranges: lo ≤ k ≤ hi for every index, n ≥ 1 for every size n; real arithmetic)
    """
    if cond in (sp.true, sp.false):
        return bool(cond)
    names = set(cond.free_symbols)
    seen = set()
    while names - seen:                     # the ranges of the indices in cond, transitively
        s = (names - seen).pop()
        seen.add(s)
        if s in scope:
            for b in scope[s]:
                names |= sp.sympify(b).free_symbols
    idx = sorted((s for s in seen if s.name not in SIZE_NAMES),
                 key=lambda s: (str(s), sp.default_sort_key(s)))
    ren = {s: sp.Symbol(f"x{n}") for n, s in enumerate(idx)}
    ranges = tuple((ren[s], sp.sympify(scope[s][0]).xreplace(ren),
                    sp.sympify(scope[s][1]).xreplace(ren)) for s in idx if s in scope)
    return _decide(cond.xreplace(ren), ranges)


def _solves_for(d, k) -> bool:
    """Is ``d`` a factor δ(a, b) with a − b = ±k + (terms free of k)? Then Σ_k δ m = m[k := e]
    for one integer e (a coefficient other than ±1 could make e a fraction)."""
    if isinstance(d, sp.Pow) and d.exp.is_Integer and d.exp > 0:
        d = d.base                                  # δ^n = δ
    if not isinstance(d, sp.KroneckerDelta) or len(d.args) != 2:
        return False
    gap = sp.expand(d.args[0] - d.args[1])
    slope = gap.diff(k)
    return slope in (1, -1) and k not in (gap - slope * k).free_symbols


def _eq(a, b):
    return sp.And(a <= b, a >= b)


def _fresh(term, taken):
    """Rename the bound indices of ``term`` that clash with ``taken``."""
    fac, lims = term
    sub = {}
    for k, _, _ in lims:
        if k in taken:
            sub[k] = sp.Dummy(k.name, integer=True)
    if not sub:
        return term
    return fac.xreplace(sub), tuple((sub.get(k, k), lo, hi) for k, lo, hi in lims)


def _mul(ts1, ts2):
    out = []
    for f1, l1 in ts1:
        taken = {k for k, _, _ in l1}
        for t2 in ts2:
            f2, l2 = _fresh(t2, taken)
            out.append((f1 * f2, l1 + l2))
    return out


class _Normalizer:
    """One normal-form computation: the declared distributions and a memo."""

    def __init__(self, distributions, depth=0):
        self.distributions = distributions
        self.depth = depth
        self.memo = {}

    # ----------------------------------------------------------- terms (rules 1-5)
    def terms(self, e, scope):
        """``e`` as a list of (monomial, limits) terms, limits ((k, lo, hi), …)."""
        if e.is_Number or isinstance(e, (sp.Symbol, sp.Indexed)):
            return [(e, ())]
        if isinstance(e, sp.Add):
            return [t for a in e.args for t in self.terms(a, scope)]
        if isinstance(e, sp.Mul):
            out = [(sp.S.One, ())]
            for a in e.args:
                out = _mul(out, self.terms(a, scope))
            return out
        if isinstance(e, sp.Pow):
            n = e.exp
            if n.is_Integer and n > 0:
                base = self.terms(e.base, scope)
                out = base
                for _ in range(int(n) - 1):
                    out = _mul(out, base)
                return out
            base = self.assemble(self.terms(e.base, scope))
            return [(base ** n, ())]
        if isinstance(e, sp.Sum):
            inner = scope.with_limits(e.limits)
            out = []
            for fac, lims in self.terms(e.function, inner):
                out += self.collapse(fac, lims + tuple(e.limits), scope)
            return out
        if isinstance(e, sp.KroneckerDelta):
            a, b = e.args[0], e.args[1]
            if len(e.args) == 3:               # δ(a, b, (lo, hi)): 0 unless lo ≤ a ≤ hi
                lo, hi = e.args[2]
                inside = (True if scope.get(a) == (lo, hi)
                          else decide(sp.And(a >= lo, a <= hi), scope))
                if inside is False:
                    return []
                if inside is None:
                    return [(self._opaque(e, scope), ())]
            same = decide(_eq(a, b), scope)
            if same is None:
                return [(sp.KroneckerDelta(a, b), ())]
            return [(sp.S.One, ())] if same else []
        if isinstance(e, sp.Piecewise):
            return self._piecewise(e, scope)
        if isinstance(e, sp.Function) or isinstance(e, sp.Expr):
            return [(self._opaque(e, scope), ())]
        raise TypeError(f"expr: cannot normalize a {type(e).__name__}")

    def _piecewise(self, e, scope):
        for n, (value, cond) in enumerate(e.args):
            verdict = decide(cond, scope)
            if verdict is True:
                return self.terms(value, scope)
            if verdict is None:                # undecided: keep what is left, normalized
                rest = [(self.assemble(self.terms(v, scope)), c) for v, c in e.args[n:]]
                return [(sp.Piecewise(*rest), ())]
        return []

    def _opaque(self, e, scope):
        """A function application (or an undecided delta) with normalized arguments."""
        inner = _Normalizer(self.distributions, self.depth + 1)
        args = [inner.assemble(inner.terms(a, scope)) if isinstance(a, sp.Expr) else a
                for a in e.args]
        return e.func(*args)

    def collapse(self, fac, lims, scope):
        """Rules 3-5 on one term Σ_{lims} fac; returns the list of resulting terms."""
        lims = list(lims)
        for j in reversed(range(len(lims))):           # innermost sum first
            k, lo, hi = lims[j]
            deltas = [d for d in sp.Mul.make_args(fac) if _solves_for(d, k)]
            if not deltas:
                continue
            rest = lims[:j] + lims[j + 1:]
            summed = deltasummation(fac, (k, lo, hi))
            return [t for f2, l2 in self.terms(summed, scope.with_limits(rest))
                    for t in self.collapse(f2, tuple(rest) + l2, scope)]
        kept = []
        for k, lo, hi in lims:
            if k not in fac.free_symbols:              # rule 4: count
                fac = fac * (hi - lo + 1)
            elif not self._sums_to_one(fac, k, lo, hi):
                kept.append((k, lo, hi))
            else:                                       # rule 5: Σ_k y_k = 1
                fac = sp.Mul(*[a for a in sp.Mul.make_args(fac) if k not in a.free_symbols])
        return [(fac, tuple(kept))]

    def _sums_to_one(self, fac, k, lo, hi):
        with_k = [a for a in sp.Mul.make_args(fac) if k in a.free_symbols]
        if len(with_k) != 1 or not isinstance(with_k[0], sp.Indexed):
            return False
        y = with_k[0]
        n = self.distributions.get(y.base)
        return (n is not None and y.indices == (k, 0) and lo == 0
                and sp.expand(hi - (n - 1)) == 0)

    # ------------------------------------------------------------ rule 6: rename
    def canonical(self, fac, lims):
        """Σ_{lims} fac with its bound indices renamed k0, k1, … canonically.

        Indices are ordered by a signature that does not depend on their names
        (range, and the factors containing the index with it written ★ and the
        other bound indices ◇); only indices with equal signatures are tried in
        every order, and the alphabetically least result is kept.
        """
        if not lims:
            return fac
        names = [sp.Symbol(f"k{n}" if self.depth == 0 else f"k{self.depth}_{n}",
                           integer=True) for n in range(len(lims))]
        if len(lims) == 1:                              # one index: nothing to choose
            (k, lo, hi), = lims
            coeff, mono = fac.xreplace({k: names[0]}).as_independent(names[0], as_Add=False)
            return coeff * sp.Sum(mono, (names[0], lo, hi))
        bound = [k for k, _, _ in lims]
        ranges = {k: (lo, hi) for k, lo, hi in lims}
        factors = [(a, a.free_symbols) for a in sp.Mul.make_args(fac)]
        signature = {}
        for k in bound:
            sub = {v: _STAR if v == k else _OTHER for v in bound}
            signature[k] = (str(ranges[k]), tuple(sorted(str(a.xreplace(sub))
                                                         for a, free in factors if k in free)))
        signed = sorted(bound, key=signature.get)
        groups = [list(g) for _, g in groupby(signed, key=signature.get)]
        best = None
        for choice in product(*[permutations(g) for g in groups]):
            order = [k for group in choice for k in group]
            sub = {k: names[n] for n, k in enumerate(order)}
            f2 = fac.xreplace(sub)
            key = str(f2) if len(order) > len(groups) else ""
            if best is None or key < best[0]:
                best = (key, f2)
        f2 = best[1]
        coeff, mono = f2.as_independent(*names, as_Add=False)
        # indices with equal signatures have equal ranges: names[n] has the n-th one's
        limits = [(names[n], *ranges[k]) for n, k in enumerate(k for g in groups for k in g)]
        return coeff * sp.Sum(mono, *limits)

    def assemble(self, ts):
        return sp.expand(sp.Add(*[self.canonical(f, lims) for f, lims in ts]))


def normal_form(expr, scope: Scope | None = None, distributions=()) -> sp.Expr:
    """The canonical sum of terms of a scalar in index notation (rules in the module docstring).

    Parameters
    ----------
    expr : sympy.Expr
        In index notation (:func:`.lower.lower`), e.g. hand − SymPy at a generic entry.
    scope : Scope, optional
        Ranges of the free indices, e.g. ``Scope({r: (0, H - 1)})``.
    distributions : iterable of MatrixSymbol
        Column vectors y (n, 1) known to sum to one (rule 5).

    Returns
    -------
    sympy.Expr
        0 exactly when the rules reduce ``expr`` to zero: then ``expr`` = 0 for
        every size and every index in range.

    Equations
    ---------
    Σ_{k=lo}^{hi} δ_{ke} m = m[k := e]  (lo ≤ e ≤ hi),   Σ_{k=lo}^{hi} m = (hi − lo + 1) m
    """
    norm = _Normalizer({sp.IndexedBase(y.name): y.shape[0] for y in distributions})
    scope = Scope() if scope is None else scope
    return norm.assemble(norm.terms(sp.sympify(expr), scope))
