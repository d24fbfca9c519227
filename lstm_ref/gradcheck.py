"""Checking gradients: central finite differences and comparison helpers.

The finite-difference gradient is an *independent oracle*: it only calls the
forward function, so it cannot share a mistake with a hand-written backward.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from . import _validate as _v

__all__ = [
    "numerical_gradient",
    "norm_rel_error",
    "max_rel_error",
    "GradcheckReport",
    "gradcheck",
    "cmp",
]


def numerical_gradient(
    f: Callable[..., float], arrays: Mapping[str, np.ndarray], *, eps: float = 1e-6, wrt=None
) -> dict[str, np.ndarray]:
    r"""Central-difference gradient of a scalar function of named arrays.

    Equations
    ---------
    For every entry :math:`\theta_k` of every array,

    .. math::

        \frac{\partial J}{\partial \theta_k} \approx
        \frac{J(\theta + \epsilon e_k) - J(\theta - \epsilon e_k)}{2\epsilon}

    with truncation error :math:`O(\epsilon^2)`. Each entry is perturbed in
    place and then restored to its exact original value, also when ``f``
    raises. Use float64 arrays: in float32 the rounding error of ``J``
    swamps a difference quotient with ``eps = 1e-6``.

    Parameters
    ----------
    f : callable
        ``f(**arrays)`` returns the scalar :math:`J` (a float or a size-1 array).
    arrays : dict of str -> ndarray
        Named float arrays (any shapes); modified during the call, restored after.
    eps : float, default 1e-6
        Step :math:`\epsilon`.
    wrt : iterable of str, optional
        Names to differentiate; default every array in ``arrays``.

    Returns
    -------
    dict of str -> ndarray
        :math:`\partial J/\partial X` for every name, shape of ``X``.
    """
    _v.check_type("arrays", arrays, Mapping)
    if not callable(f):
        raise TypeError(f"f: expected a callable, got {type(f).__name__}")
    _v.check_positive("eps", eps)
    names = list(arrays) if wrt is None else list(wrt)
    for name in names:
        if name not in arrays:
            raise ValueError(f"wrt: {name!r} is not one of the arrays {sorted(arrays)}")
        _v.check_float(name, arrays[name])
    kwargs = dict(arrays)
    grads = {}
    for name in names:
        a = arrays[name]
        grad = np.zeros(a.shape, dtype=np.float64)  # shape of a
        for idx in np.ndindex(a.shape):
            old = a[idx].copy()
            try:
                a[idx] = old + eps
                J_plus = float(f(**kwargs))
                a[idx] = old - eps
                J_minus = float(f(**kwargs))
            finally:
                a[idx] = old  # exact restore: the very same value
            grad[idx] = (J_plus - J_minus) / (2 * eps)
        grads[name] = grad.astype(a.dtype, copy=False)
    return grads


def _pair(a, b):
    """Two arrays as float64, checked to have the same shape."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"b: expected shape {a.shape} (the shape of a), got {b.shape}")
    return a, b


def norm_rel_error(a, b) -> float:
    r"""Norm-based relative error of two arrays (CS231n's), safe when both are zero.

    Printed as ``norm_rel_err=``. It judges a whole array at once, so it is the
    error of :func:`gradcheck` against finite differences, where a few
    entries near zero may carry large relative noise.

    Equations
    ---------
    .. math::

        \operatorname{rel}_2(a, b) = \frac{\lVert a - b \rVert_2}
        {\max(\lVert a \rVert_2 + \lVert b \rVert_2,\ \text{tiny})}

    with Frobenius (flattened Euclidean) norms and ``tiny`` the smallest
    positive normal float64. It lies in [0, 1]; it is 0 when ``a == b``
    (including both zero) and 1 when one of them is zero and the other is
    not. In float64, a correct analytic gradient typically agrees with
    central differences to 1e-8 or better.

    Parameters
    ----------
    a, b : array_like, same shape

    Returns
    -------
    float
    """
    a, b = _pair(a, b)
    num = np.linalg.norm((a - b).ravel())
    den = max(np.linalg.norm(a.ravel()) + np.linalg.norm(b.ravel()), np.finfo(np.float64).tiny)
    return float(num / den)


def max_rel_error(a, b) -> float:
    r"""Max-based relative error: the largest entry difference over the largest entry.

    Printed as ``max_rel_err=``. It is the stricter of the two metrics: one
    wrong entry among many shows in full. The verification engine and the
    exercise checkers use it.

    Equations
    ---------
    .. math::

        \operatorname{rel}_\infty(a, b) = \frac{\max_k |a_k - b_k|}
        {\max(\max_k |a_k|,\ \max_k |b_k|)}

    and 0 when both arrays are zero (or empty).

    Parameters
    ----------
    a, b : array_like, same shape

    Returns
    -------
    float
    """
    a, b = _pair(a, b)
    if a.size == 0:
        return 0.0
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)))
    return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)


@dataclass(frozen=True)
class GradcheckReport:
    """Result of :func:`gradcheck`: the relative error of every array.

    ``str(report)`` is a table; ``report.assert_ok()`` raises if any error
    exceeds ``tol``.
    """

    errors: dict = field(default_factory=dict)  #: name -> norm_rel_error
    tol: float = 1e-7  #: threshold for :attr:`ok`

    @property
    def ok(self) -> bool:
        """True when every relative error is below ``tol``."""
        return all(e < self.tol for e in self.errors.values())

    @property
    def worst(self) -> float:
        """The largest relative error (0.0 if there are no arrays)."""
        return max(self.errors.values(), default=0.0)

    @property
    def worst_name(self) -> str | None:
        """The name of the array with the largest relative error."""
        return max(self.errors, key=self.errors.get, default=None)

    @property
    def failing(self) -> list[str]:
        """Names of the arrays whose error is not below ``tol``."""
        return [n for n, e in self.errors.items() if not e < self.tol]

    def __str__(self) -> str:
        width = max([len(n) for n in self.errors] + [5])
        lines = [f"{'array':<{width}} | {'norm_rel_error':<20} | ok (tol={self.tol:.0e})"]
        for name, e in self.errors.items():
            lines.append(f"{name:<{width}} | norm_rel_err={e:.1e} | {e < self.tol}")
        return "\n".join(lines)

    def assert_ok(self) -> "GradcheckReport":
        """Raise AssertionError naming every failing array; return self otherwise."""
        bad = self.failing
        if bad:
            detail = ", ".join(f"{n} (norm_rel_err={self.errors[n]:.1e})" for n in bad)
            raise AssertionError(
                f"gradient check failed (tol={self.tol:.0e}) for: {detail}\n{self}"
            )
        return self


def gradcheck(f, arrays, analytic, *, eps: float = 1e-6, tol: float = 1e-7) -> GradcheckReport:
    r"""Compare analytic gradients with central differences.

    Equations
    ---------
    For every name :math:`X` in ``analytic``:

    .. math::

        \text{error}_X = \operatorname{rel}\Big(\texttt{analytic[X]},\;
        \frac{J(X + \epsilon) - J(X - \epsilon)}{2\epsilon}\Big)

    (see :func:`norm_rel_error` and :func:`numerical_gradient`).

    Parameters
    ----------
    f : callable
        ``f(**arrays)`` returns the scalar loss.
    arrays : dict of str -> ndarray
        All arguments of ``f`` (restored after the check).
    analytic : dict of str -> ndarray
        The gradients to check, keyed by a subset of the names in ``arrays``;
        each has the shape of its array.
    eps : float, default 1e-6
    tol : float, default 1e-7

    Returns
    -------
    GradcheckReport
    """
    _v.check_type("analytic", analytic, Mapping)
    for name, g in analytic.items():
        if name not in arrays:
            raise ValueError(f"analytic: {name!r} is not one of the arrays {sorted(arrays)}")
        g = np.asarray(g)
        if g.shape != arrays[name].shape:
            raise ValueError(
                f"analytic[{name!r}]: expected shape {arrays[name].shape} "
                f"(the shape of {name}), got {g.shape}"
            )
    _v.check_positive("tol", tol)
    numeric = numerical_gradient(f, arrays, eps=eps, wrt=list(analytic))
    errors = {name: norm_rel_error(analytic[name], numeric[name]) for name in analytic}
    return GradcheckReport(errors=errors, tol=tol)


def cmp(name: str, ours, reference, *, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    r"""Compare two arrays, print one line, raise if they disagree.

    In the spirit of Karpathy's ``cmp`` (makemore, part 4), one line per
    comparison::

        dW     ✓ equal within rtol=1e-10, atol=1e-12 (maxdiff=3.1e-17)

    The line says only what holds on every machine: whether the arrays agree
    within the tolerances, and the size of the largest difference (a
    measurement, printed as ``maxdiff=``). Whether the two arrays happen to be
    bitwise identical depends on the CPU and the BLAS build, so it is not
    reported.

    Equations
    ---------
    .. math::

        \text{equal} \iff |\text{ours} - \text{ref}| \le \text{atol} + \text{rtol}\,|\text{ref}|
        \ \text{elementwise}

        \text{maxdiff} = \max |\text{ours} - \text{ref}|

    Parameters
    ----------
    name : str
        Label printed at the start of the line.
    ours, reference : array_like, same shape
    rtol : float, default 1e-10
        Relative tolerance, >= 0.
    atol : float, default 1e-12
        Absolute tolerance, >= 0.

    Returns
    -------
    None
        (So that a notebook cell ending in ``cmp(...)`` prints only the line.)

    Raises
    ------
    AssertionError
        If the shapes differ or the arrays are not equal within the
        tolerances; the message names ``name`` and gives ``maxdiff``.
    """
    for tol_name, tol in (("rtol", rtol), ("atol", atol)):
        if isinstance(tol, bool) or not isinstance(tol, (int, float, np.floating, np.integer)):
            raise TypeError(f"{tol_name}: expected a float >= 0, got {type(tol).__name__}")
        if not tol >= 0:
            raise ValueError(f"{tol_name}: expected a float >= 0, got {tol!r}")
    ours = np.asarray(ours)
    reference = np.asarray(reference)
    if ours.shape != reference.shape:
        print(f"{name:<6} ✗ shape mismatch: ours {ours.shape} vs reference {reference.shape}")
        raise AssertionError(
            f"{name}: shape mismatch, ours {ours.shape} vs reference {reference.shape}"
        )
    equal = bool(np.allclose(ours, reference, rtol=rtol, atol=atol))
    diff = np.abs(ours.astype(np.float64) - reference.astype(np.float64))
    maxdiff = float(diff.max()) if diff.size else 0.0
    verdict = "✓ equal within" if equal else "✗ NOT equal within"
    print(f"{name:<6} {verdict} rtol={rtol:g}, atol={atol:g} (maxdiff={maxdiff:.1e})")
    if not equal:
        raise AssertionError(
            f"{name}: arrays differ, maxdiff={maxdiff:.1e} (rtol={rtol:g}, atol={atol:g})"
        )
