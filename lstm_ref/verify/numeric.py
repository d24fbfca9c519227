"""High-precision evaluation of symbolic expressions, sharing common subtrees.

An unrolled forward pass (or a backward sweep written as nested Matrix
products) is a DAG whose tree form is exponentially large, so ``xreplace``,
``evalf`` and ``lambdify`` are slow on it. :class:`Program` flattens the DAG
once (each distinct subexpression one instruction) and evaluates it in mpmath
at a given number of digits.
"""

from __future__ import annotations

import mpmath
import sympy as sp

from .symbols import Tanh, sigma

__all__ = ["Program"]

_UNARY = {
    sigma: lambda a: 1 / (1 + mpmath.exp(-a)),     # σ(a) = 1 / (1 + e^{−a})
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
        Decimal working precision of evaluation.

    Attributes
    ----------
    symbols : list of Symbol
        The free symbols, which the values passed to ``__call__`` must cover.
    """

    def __init__(self, exprs, digits: int = 65):
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
