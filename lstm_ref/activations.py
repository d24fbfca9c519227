"""Activation functions and their derivatives written through their outputs.

All functions accept float32 or float64 arrays of any shape and return the
same dtype. None of them overflows: ``sigmoid(-1000.0)`` is ``0.0`` without a
warning, ``softmax`` of logits around ``1e4`` is finite.
"""

from __future__ import annotations

import numpy as np

from . import _validate as _v

__all__ = [
    "sigmoid",
    "tanh",
    "sigmoid_grad_from_output",
    "tanh_grad_from_output",
    "logsumexp",
    "softmax",
    "log_softmax",
]


# ---- unvalidated kernels, used inside the package ---------------------------


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # e = exp(-|a|) lies in (0, 1], so nothing overflows. Then
    #   a >= 0:  sigma(a) = 1 / (1 + exp(-a))  = 1 / (1 + e)
    #   a <  0:  sigma(a) = exp(a) / (1 + exp(a)) = e / (1 + e)
    e = np.exp(-np.abs(a))
    s = np.empty_like(a)
    np.add(e, 1.0, out=s)
    np.divide(1.0, s, out=s)
    np.multiply(s, e, out=s, where=a < 0)
    return s


def _tanh(a: np.ndarray) -> np.ndarray:
    # np.tanh saturates to +-1 and never overflows.
    return np.tanh(a)


def _logsumexp(v: np.ndarray, axis: int = -1) -> np.ndarray:
    # log sum_k exp(v_k) = m + log sum_k exp(v_k - m) with m = max_k v_k:
    # every exponent is <= 0, and the largest term is exactly 1.
    m = v.max(axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.exp(v - m).sum(axis=axis))


def _log_softmax(v: np.ndarray, axis: int = -1) -> np.ndarray:
    m = v.max(axis=axis, keepdims=True)
    shifted = v - m
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _softmax(v: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(v - v.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _check_axis(v: np.ndarray, axis) -> int:
    _v.check_type("axis", axis, (int, np.integer))
    if not -v.ndim <= axis < v.ndim:
        raise ValueError(f"axis: expected an axis of a {v.ndim}-D array, got {axis}")
    return int(axis)


# ---- public API ---------------------------------------------------------------


def sigmoid(a: np.ndarray) -> np.ndarray:
    r"""Logistic sigmoid, computed without overflow.

    Equations
    ---------
    .. math::

        \sigma(a) = \frac{1}{1 + e^{-a}}
        = \begin{cases} 1/(1 + e^{-|a|}) & a \ge 0 \\
                        e^{-|a|}/(1 + e^{-|a|}) & a < 0 \end{cases}

    Only :math:`e^{-|a|} \in (0, 1]` is ever evaluated, so ``sigmoid(-1000)``
    is ``0`` without an overflow warning, and small outputs keep full relative
    precision (``sigmoid(-40)`` is ``4.2e-18``, not ``0``).

    Parameters
    ----------
    a : ndarray, any shape, float32 or float64
        Pre-activations.

    Returns
    -------
    ndarray
        :math:`\sigma(a)`, same shape and dtype as ``a``.
    """
    _v.check_float("a", a)
    return _sigmoid(a)


def tanh(a: np.ndarray) -> np.ndarray:
    r"""Hyperbolic tangent (saturates to :math:`\pm 1`, never overflows).

    Equations
    ---------
    .. math::

        \tanh(a) = \frac{e^{a} - e^{-a}}{e^{a} + e^{-a}} = 2\sigma(2a) - 1

    Parameters
    ----------
    a : ndarray, any shape, float32 or float64

    Returns
    -------
    ndarray
        Same shape and dtype as ``a``.
    """
    _v.check_float("a", a)
    return _tanh(a)


def sigmoid_grad_from_output(s: np.ndarray) -> np.ndarray:
    r"""Derivative of the sigmoid, written through its output.

    Equations
    ---------
    .. math::

        \sigma'(a) = \sigma(a)\,(1 - \sigma(a)) = s\,(1 - s)

    This is why a cache stores the gate *activations* ``f, i, o`` and the
    backward pass uses ``i * (1 - i)``.

    Parameters
    ----------
    s : ndarray, any shape, float32 or float64
        Sigmoid outputs :math:`s = \sigma(a)`.

    Returns
    -------
    ndarray
        :math:`s(1-s)`, same shape and dtype.
    """
    _v.check_float("s", s)
    return s * (1 - s)


def tanh_grad_from_output(t: np.ndarray) -> np.ndarray:
    r"""Derivative of tanh, written through its output.

    Equations
    ---------
    .. math::

        \tanh'(a) = 1 - \tanh^2(a) = 1 - t^2

    Parameters
    ----------
    t : ndarray, any shape, float32 or float64
        Outputs :math:`t = \tanh(a)` (e.g. ``g`` or ``tanh_c``).

    Returns
    -------
    ndarray
        :math:`1 - t^2`, same shape and dtype.
    """
    _v.check_float("t", t)
    return 1 - t**2


def logsumexp(v: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Stable :math:`\log\sum_k e^{v_k}` along ``axis``.

    Equations
    ---------
    .. math::

        \operatorname{lse}(v) = m + \log \sum_k e^{v_k - m}, \qquad m = \max_k v_k

    Parameters
    ----------
    v : ndarray, shape (..., V), float32 or float64
        Logits (finite).
    axis : int, default -1
        Axis to reduce.

    Returns
    -------
    ndarray
        Shape of ``v`` without ``axis``, same dtype.
    """
    _v.check_float("v", v)
    _v.check_finite("v", v)
    axis = _check_axis(v, axis)
    return _logsumexp(v, axis)


def softmax(v: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Stable softmax along ``axis``.

    Equations
    ---------
    .. math::

        \hat y_k = \frac{e^{v_k - m}}{\sum_j e^{v_j - m}}, \qquad m = \max_j v_j

    Shifting by :math:`m` changes nothing mathematically and keeps every
    exponent :math:`\le 0`, so logits of size ``1e4`` give a finite result.

    Parameters
    ----------
    v : ndarray, shape (..., V), float32 or float64
        Logits (finite).
    axis : int, default -1

    Returns
    -------
    ndarray
        Same shape and dtype as ``v``; sums to 1 along ``axis``.
    """
    _v.check_float("v", v)
    _v.check_finite("v", v)
    axis = _check_axis(v, axis)
    return _softmax(v, axis)


def log_softmax(v: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Stable log-softmax along ``axis``.

    Equations
    ---------
    .. math::

        \log \hat y_k = v_k - \operatorname{lse}(v) = (v_k - m) - \log\sum_j e^{v_j - m}

    Parameters
    ----------
    v : ndarray, shape (..., V), float32 or float64
        Logits (finite).
    axis : int, default -1

    Returns
    -------
    ndarray
        Same shape and dtype as ``v``.
    """
    _v.check_float("v", v)
    _v.check_finite("v", v)
    axis = _check_axis(v, axis)
    return _log_softmax(v, axis)
