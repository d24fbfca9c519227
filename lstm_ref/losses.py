"""Loss functions. Each returns ``(J, dinput)``: the scalar loss and its gradient.

``reduction="sum"`` adds the per-example losses (the convention of source 000,
:math:`J = \\sum_t J_t`); ``reduction="mean"`` divides by the number of
examples (rows for the cross-entropy, elements for BCE and MSE).
"""

from __future__ import annotations

import numpy as np

from . import _validate as _v
from .activations import _log_softmax, _sigmoid

__all__ = ["softmax_cross_entropy", "sigmoid_binary_cross_entropy", "mean_squared_error"]

REDUCTIONS = ("sum", "mean")


def _reduce(total, n: int, reduction: str, name: str, shape: tuple):
    """The reduced loss and the divisor of its gradient; a mean of nothing is an error."""
    if reduction == "sum":
        return total, 1
    if n == 0:
        raise ValueError(f"{name}: reduction='mean' needs at least one element to average, "
                         f"got shape {shape}")
    return total / n, n


def softmax_cross_entropy(v: np.ndarray, y: np.ndarray, *, reduction: str = "sum"):
    r"""Softmax followed by cross-entropy, from logits, with its gradient.

    Equations
    ---------
    .. math::

        \hat y = \operatorname{softmax}(v), \qquad
        J = -\sum_{\text{rows}} \sum_k y_k \log \hat y_k

        \frac{\partial J}{\partial v} = \hat y \sum_k y_k - y
        \;=\; \hat y - y \quad\text{when each target row sums to 1}

    This is :math:`\partial J/\partial v_t = \hat y_t - y_t` of source 000. With
    integer targets, :math:`y` is the one-hot row of the class index. The log
    of the softmax is computed as ``v - logsumexp(v)`` (no ``log(0)``).

    Parameters
    ----------
    v : ndarray, shape (..., V), float32 or float64
        Logits, e.g. (B, V) or (T, B, V).
    y : ndarray
        Either integer class indices of shape ``v.shape[:-1]`` with values in
        ``[0, V)``, or float targets (one-hot or soft) of shape ``v.shape``: weights
        >= 0, usually probabilities (rows need not sum to 1).
    reduction : {"sum", "mean"}
        "mean" divides by the number of rows, ``v.size // V``.

    Returns
    -------
    J : float
        The loss (a Python float).
    dv : ndarray, shape of ``v``
        :math:`\partial J/\partial v`.
    """
    _v.check_option("reduction", reduction, REDUCTIONS)
    _v.check_float("v", v)
    _v.check_finite("v", v)
    if v.ndim < 1 or v.shape[-1] < 1:
        raise ValueError(f"v: expected shape (..., V) with V >= 1, got {v.shape}")
    _v.check_array("y", y)
    V = v.shape[-1]
    logp = _log_softmax(v)  # (..., V)
    y_hat = np.exp(logp)  # (..., V)
    if y.dtype.kind in "iu":
        if y.shape != v.shape[:-1]:
            raise ValueError(
                f"y: integer class indices must have shape v.shape[:-1] = {v.shape[:-1]}, "
                f"got {y.shape}"
            )
        if y.size and (y.min() < 0 or y.max() >= V):
            raise ValueError(
                f"y: class indices must lie in [0, {V}) (V = {V}), "
                f"got values in [{y.min()}, {y.max()}]"
            )
        # One-hot targets: J = -sum log y_hat[y], dJ/dv = y_hat - onehot(y).
        rows = np.arange(y.size)
        flat = y.reshape(-1)
        total = -logp.reshape(-1, V)[rows, flat].sum()
        dv = y_hat.reshape(-1, V)  # (N, V) view of y_hat
        dv[rows, flat] -= 1
        dv = dv.reshape(v.shape)  # (..., V)
    else:
        _v.check_float("y", y)
        _v.check_same_dtype(v=v, y=y)
        _v.check_finite("y", y)
        if y.shape != v.shape:
            raise ValueError(f"y: float targets must have the shape of v, {v.shape}, got {y.shape}")
        _v.check_nonnegative("y", y, "target weights")
        # Soft targets: J = -sum_k y_k log y_hat_k. Since d log y_hat_k / dv_j
        # = [k = j] - y_hat_j, dJ/dv_j = y_hat_j * sum_k y_k - y_j.
        total = -(y * logp).sum()
        dv = y_hat * y.sum(axis=-1, keepdims=True) - y  # (..., V)
    n = v.size // V
    J, scale = _reduce(total, n, reduction, "v", v.shape)
    if scale != 1:
        dv /= scale
    return float(J), dv


def sigmoid_binary_cross_entropy(s: np.ndarray, y: np.ndarray, *, reduction: str = "sum"):
    r"""Binary cross-entropy of a sigmoid, from logits, computed stably.

    Equations
    ---------
    .. math::

        p = \sigma(s), \qquad
        J = -\sum \big[y \log p + (1-y)\log(1-p)\big]

        J = \sum \big[\operatorname{softplus}(s) - y\,s\big]

        \operatorname{softplus}(s) = \log(1 + e^{s}) = \max(s, 0) + \log(1 + e^{-|s|})

        \frac{\partial J}{\partial s} = \sigma(s) - y

    The softplus form never takes ``log(0)`` and never overflows.

    Parameters
    ----------
    s : ndarray, any shape, float32 or float64
        Logits.
    y : ndarray, shape of ``s``, same float dtype
        Targets in [0, 1] (0/1 labels or probabilities).
    reduction : {"sum", "mean"}
        "mean" divides by the number of elements ``s.size``.

    Returns
    -------
    J : float
    ds : ndarray, shape of ``s``
    """
    _v.check_option("reduction", reduction, REDUCTIONS)
    _v.check_floats(s=s, y=y)
    if y.shape != s.shape:
        raise ValueError(f"y: expected the shape of s, {s.shape}, got {y.shape}")
    _v.check_probabilities("y", y)
    softplus = np.maximum(s, 0) + np.log1p(np.exp(-np.abs(s)))
    total = (softplus - y * s).sum()
    ds = _sigmoid(s) - y  # shape of s
    J, scale = _reduce(total, s.size, reduction, "s", s.shape)
    if scale != 1:
        ds /= scale
    return float(J), ds


def mean_squared_error(y_hat: np.ndarray, y: np.ndarray, *, reduction: str = "mean"):
    r"""Squared error with its gradient (default: the mean).

    Equations
    ---------
    .. math::

        J = \frac{1}{N} \sum (\hat y - y)^2, \qquad
        \frac{\partial J}{\partial \hat y} = \frac{2}{N} (\hat y - y)

    with :math:`N` the number of elements ("mean") or :math:`N = 1` ("sum").

    Source 002 writes :math:`dL/d\hat y = 2(y - \hat y)`, which has the wrong
    sign: :math:`\partial (y - \hat y)^2 / \partial \hat y = -2(y - \hat y)
    = 2(\hat y - y)`. Following it would make gradient descent climb the loss.

    Parameters
    ----------
    y_hat : ndarray, any shape, float32 or float64
        Predictions.
    y : ndarray, shape of ``y_hat``, same dtype
        Targets.
    reduction : {"mean", "sum"}
        "mean" divides by ``y_hat.size``.

    Returns
    -------
    J : float
    dy_hat : ndarray, shape of ``y_hat``
    """
    _v.check_option("reduction", reduction, REDUCTIONS)
    _v.check_floats(y_hat=y_hat, y=y)
    if y.shape != y_hat.shape:
        raise ValueError(f"y: expected the shape of y_hat, {y_hat.shape}, got {y.shape}")
    diff = y_hat - y  # shape of y_hat
    total = (diff * diff).sum()
    J, scale = _reduce(total, y_hat.size, reduction, "y_hat", y_hat.shape)
    dy_hat = diff * (2 / scale)  # shape of y_hat
    return float(J), dy_hat.astype(y_hat.dtype, copy=False)
