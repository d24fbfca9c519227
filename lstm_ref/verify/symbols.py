"""Opaque activation functions and the symbol factories of the symbolic model.

``Sigmoid`` and ``Tanh`` are SymPy functions that SymPy never rewrites. Their
only property is the derivative, stated through the function's own value,

    σ'(a) = σ(a) (1 − σ(a)),        tanh'(a) = 1 − tanh(a)².

so after SymPy differentiates a forward pass, every derivative is a product of
function *values*. Replacing each application by an atom symbol (``f[0]``,
``tanh_c[1]``, ...) then turns both a SymPy derivative and a hand-derived
formula into polynomials in the same atoms, where ``expand`` decides equality.

A hand formula therefore writes an activation as ``Sigmoid(u)`` / ``Tanh(u)``
(or as the model's atom): ``sympy.tanh``, ``1/(1 + sympy.exp(-u))`` and an
undefined ``sympy.Function('sigma')`` are other functions to SymPy and are
rejected with a ``TypeError`` (:mod:`.hand`).
"""

from __future__ import annotations

import mpmath
import sympy as sp

__all__ = ["Sigmoid", "Tanh", "vector", "matrix"]


class Sigmoid(sp.Function):
    """Logistic sigmoid σ(a) = 1 / (1 + e^(−a)), opaque to SymPy (printed as ``Sigmoid``).

    Equations
    ---------
    σ'(a) = σ(a) (1 − σ(a))
    """

    nargs = 1

    def fdiff(self, argindex=1):
        # σ' written through σ itself, the course's convention.
        s = self.func(self.args[0])
        return s * (1 - s)

    def _eval_evalf(self, prec):
        a = self.args[0]._to_mpmath(prec)
        with mpmath.workprec(prec):
            return sp.Float(1 / (1 + mpmath.exp(-a)), precision=prec)


class Tanh(sp.Function):
    """Hyperbolic tangent, opaque to SymPy (printed as ``Tanh``).

    Equations
    ---------
    tanh'(a) = 1 − tanh(a)²
    """

    nargs = 1

    def fdiff(self, argindex=1):
        t = self.func(self.args[0])
        return 1 - t**2

    def _eval_evalf(self, prec):
        a = self.args[0]._to_mpmath(prec)
        with mpmath.workprec(prec):
            return sp.Float(mpmath.tanh(a), precision=prec)


def vector(name: str, n: int) -> sp.Matrix:
    """Column vector of real symbols ``name[0] … name[n-1]``.

    Parameters
    ----------
    name : str
        Base name, e.g. ``"x"`` or ``"h_0"``.
    n : int
        Length.

    Returns
    -------
    sympy.Matrix, shape (n, 1)
    """
    return sp.Matrix(n, 1, [sp.Symbol(f"{name}[{k}]", real=True) for k in range(n)])


def matrix(name: str, rows: int, cols: int) -> sp.Matrix:
    """Matrix of real symbols ``name[r,c]``.

    Parameters
    ----------
    name : str
        Base name, e.g. ``"W"``.
    rows, cols : int
        Shape.

    Returns
    -------
    sympy.Matrix, shape (rows, cols)
    """
    return sp.Matrix(rows, cols, lambda r, c: sp.Symbol(f"{name}[{r},{c}]", real=True))
