"""High-precision evaluation of symbolic expressions at seeded forward points.

An unrolled forward pass (or a backward sweep written as nested Matrix
products) is a DAG whose tree form is exponentially large, so ``xreplace``,
``evalf`` and ``lambdify`` are slow on it. :class:`Program` flattens the DAG
once (each distinct subexpression one instruction) and evaluates it in mpmath
at a given number of digits.

On top of it, the numbers every check of the engine uses:

* :func:`forward_point`: a seeded random point of a model (its leaves), with
  every atom (``f[0]``, ``tanh_c[1]`` …) computed from them by
  :func:`atom_values`, so a formula in atoms is evaluated on a consistent
  forward pass;
* :func:`evaluator`: a hand formula or SymPy's derivative, compiled once and
  evaluated at such points;
* :func:`numeric_derivative`: ∂J/∂v of the forward pass by numerical
  differentiation in ``PREC`` digits (mpmath.diff), the reference of the
  sampled checks, independent of any symbolic derivative.

All of it works in ``PREC`` = ``DIGITS`` + 15 decimal digits, so that the
``DIGITS`` = 50 digits a sampled verdict claims are free of rounding.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from .symbols import Sigmoid, Tanh

__all__ = ["Program", "DIGITS", "PREC", "forward_point", "atom_values", "evaluator",
           "numeric_derivative"]

DIGITS = 50          # the precision a sampled check claims (printed in its verdict)
PREC = DIGITS + 15   # working precision: 15 guard digits against rounding

_UNARY = {
    Sigmoid: lambda a: 1 / (1 + mpmath.exp(-a)),     # σ(a) = 1 / (1 + e^{−a})
    Tanh: mpmath.tanh,
    sp.exp: mpmath.exp,
    sp.log: mpmath.log,
}


class Program:
    """Compiled list of expressions, evaluated with mpmath.

    Parameters
    ----------
    exprs : iterable of sympy.Expr
        Built from symbols, numbers, +, ×, powers and σ, tanh, exp, log.
    digits : int
        Decimal working precision of evaluation (default ``PREC``).

    Attributes
    ----------
    symbols : list of Symbol
        The free symbols, which the values passed to ``__call__`` must cover.
    """

    def __init__(self, exprs, digits: int = PREC):
        self.digits = digits
        self._index = {}
        self._ops = []
        self.symbols = []
        self._outs = [self._add(sp.sympify(e)) for e in exprs]

    def _add(self, e):
        hit = self._index.get(e)
        if hit is not None:
            return hit
        if e.is_Symbol:
            op = ("sym", e, ())
            self.symbols.append(e)
        elif e.is_Rational:
            op = ("rat", (int(e.p), int(e.q)), ())
        elif e.is_Float:
            op = ("flt", e, ())
        elif isinstance(e, sp.Add):
            op = ("add", None, tuple(self._add(a) for a in e.args))
        elif isinstance(e, sp.Mul):
            op = ("mul", None, tuple(self._add(a) for a in e.args))
        elif isinstance(e, sp.Pow):
            op = ("pow", None, (self._add(e.base), self._add(e.exp)))
        elif e.func in _UNARY:
            op = ("fn", _UNARY[e.func], (self._add(e.args[0]),))
        else:
            raise TypeError(f"cannot evaluate {type(e).__name__} in {e}")
        self._index[e] = len(self._ops)
        self._ops.append(op)
        return self._index[e]

    def __call__(self, vals: dict) -> list:
        """Evaluate at ``vals`` (Symbol -> number); returns a list of mpf."""
        # never lower the precision of a caller (mpmath.diff raises it)
        with mpmath.workdps(max(self.digits, mpmath.mp.dps)):
            v = [None] * len(self._ops)
            for k, (kind, p, args) in enumerate(self._ops):
                if kind == "sym":
                    v[k] = mpmath.mpf(vals[p])
                elif kind == "add":
                    v[k] = mpmath.fsum(v[a] for a in args)
                elif kind == "mul":
                    acc = v[args[0]]
                    for a in args[1:]:
                        acc = acc * v[a]
                    v[k] = acc
                elif kind == "pow":
                    v[k] = v[args[0]] ** v[args[1]]
                elif kind == "fn":
                    v[k] = p(v[args[0]])
                elif kind == "rat":
                    v[k] = mpmath.mpf(p[0]) / p[1]
                else:
                    v[k] = mpmath.mpf(p)
            return [+v[o] for o in self._outs]


def atom_values(g, vals: dict) -> dict:
    """Add the value of every atom of the build ``g`` to the leaf values ``vals``.

    Parameters
    ----------
    g : Graph
        A finished build (:mod:`.forward`); its ``atom_defs`` define each atom
        in earlier atoms and leaves, in forward order.
    vals : dict
        Leaf Symbol -> number; updated in place and returned.

    Returns
    -------
    dict
        ``vals`` with every atom (and every tap τ, at 0) added.

    Equations
    ---------
    A = fn(u(earlier atoms, leaves)),  evaluated t = 1 … T in ``PREC`` digits
    """
    for atom, d in g.atom_defs:
        vals[atom] = Program([d], PREC)(vals)[0]
    for m in g.tap_symbols.values():
        vals.update({s: mpmath.mpf(0) for s in m})
    return vals


def forward_point(g, domains, rng: np.random.Generator) -> dict:
    """Leaf values of one seeded random forward point, then every atom.

    Parameters
    ----------
    g : Graph
        The build whose atoms are computed.
    domains : sequence of (Matrix, str)
        Each group of leaves with its domain: ``"uniform"`` (U(−1, 1)),
        ``"unit"`` (U(0.05, 0.95), a BCE target) or ``"simplex"`` (the free
        entries of a distribution, Dirichlet).
    rng : numpy.random.Generator
        Seeded by the caller (``np.random.default_rng(seed)``).

    Returns
    -------
    dict
        Symbol -> mpf for every leaf, atom and tap (taps at 0).
    """
    vals = {}
    for m, dom in domains:
        n = len(m)
        if dom == "simplex":
            draw = rng.dirichlet(np.ones(n + 1))[:n]
        elif dom == "unit":
            draw = rng.uniform(0.05, 0.95, size=n)
        else:
            draw = rng.uniform(-1.0, 1.0, size=n)
        for s, v in zip(m, draw):
            vals[s] = mpmath.mpf(float(v))
    return atom_values(g, vals)


def evaluator(M):
    """Compile the entries of M (in atoms and leaves) for evaluation in ``PREC`` digits.

    Parameters
    ----------
    M : sympy.Matrix or sequence of sympy.Expr
        A formula in the atoms and leaves of one model.

    Returns
    -------
    callable
        ``evaluate(vals) -> list of mpf``, one per entry (row-major), where
        ``vals`` maps Symbol -> number (:func:`forward_point`). It raises
        ``ValueError`` naming the symbols of M that ``vals`` does not cover
        (symbols that are neither leaves nor atoms of the model).
    """
    prog = Program(list(M), PREC)

    def evaluate(vals):
        missing = [s for s in prog.symbols if s not in vals]
        if missing:
            raise ValueError("hand: uses symbols that are not leaves or atoms of the model: "
                             f"{sorted(map(str, missing))}")
        return prog(vals)
    return evaluate


@lru_cache(maxsize=32)
def numeric_derivative(J, variables):
    """∂J/∂v of the forward pass by numerical differentiation in ``PREC`` digits.

    Parameters
    ----------
    J : sympy.Expr
        The loss in function form (σ, tanh, exp, log of the leaves and taps).
    variables : sympy.ImmutableMatrix
        The symbols to differentiate by (hashable: results are cached).

    Returns
    -------
    callable
        ``evaluate(vals) -> list of mpf``, ∂J/∂v for each v (row-major) at the
        point ``vals`` (:func:`forward_point`).

    Equations
    ---------
    ∂J/∂v ≈ mpmath.diff(u ↦ J(…, v = u, …), vals[v]),  in ``PREC`` digits
    """
    prog = Program([J], PREC)
    present = set(prog.symbols)

    def evaluate(vals):
        out = []
        with mpmath.workdps(PREC):
            for v in variables:
                if v not in present:          # J does not depend on v
                    out.append(mpmath.mpf(0))
                    continue
                point = dict(vals)

                def J_of(u):
                    point[v] = u
                    return prog(point)[0]
                out.append(mpmath.diff(J_of, mpmath.mpf(vals[v])))
        return out
    return evaluate
