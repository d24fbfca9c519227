"""The output layer :math:`v_t = W_v h_t + b_v` for every step at once."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as _v

__all__ = ["AffineCache", "AffineGrads", "affine_forward", "affine_backward"]


class AffineCache(NamedTuple):
    """What :func:`affine_backward` needs: the input and the weight."""

    h: np.ndarray  #: (..., H) input of the layer
    W_v: np.ndarray  #: (V, H) weight


class AffineGrads(NamedTuple):
    """Gradients of :func:`affine_forward`'s inputs."""

    dh: np.ndarray  #: (..., H)
    dW_v: np.ndarray  #: (V, H)
    db_v: np.ndarray  #: (V,)


def affine_forward(h: np.ndarray, W_v: np.ndarray, b_v: np.ndarray):
    r"""Affine output layer applied to the last axis.

    Equations
    ---------
    .. math::

        v_t = W_v h_t + b_v \qquad\text{(rows: } v = h W_v^\top + b_v\text{)}

    Parameters
    ----------
    h : ndarray, shape (..., H), e.g. (B, H) or (T, B, H)
        Hidden states.
    W_v : ndarray, shape (V, H)
    b_v : ndarray, shape (V,)

    Returns
    -------
    v : ndarray, shape (..., V)
        Logits.
    cache : AffineCache
    """
    _v.check_floats(h=h, W_v=W_v, b_v=b_v)
    if h.ndim < 1:
        raise ValueError(f"h: expected shape (..., H), got {h.shape}")
    lead = " ".join(f"N{k}" for k in range(h.ndim - 1))
    _v.check_shapes(("h", h, f"{lead} H".strip()), ("W_v", W_v, "V H"), ("b_v", b_v, "V"))
    v = h @ W_v.T + b_v
    return v, AffineCache(h=h, W_v=W_v)


def affine_backward(dv: np.ndarray, cache: AffineCache) -> AffineGrads:
    r"""Backward pass of :func:`affine_forward`.

    Equations
    ---------
    .. math::

        \frac{\partial J}{\partial h_t} = W_v^\top \frac{\partial J}{\partial v_t}, \qquad
        \frac{\partial J}{\partial W_v} = \sum_t \frac{\partial J}{\partial v_t} h_t^\top, \qquad
        \frac{\partial J}{\partial b_v} = \sum_t \frac{\partial J}{\partial v_t}

    The sums run over every leading axis (steps and batch rows): ``dv`` and
    ``h`` are flattened to 2-D so ``dW_v`` is ONE matrix product
    ``dv2.T @ h2`` instead of a loop over steps.

    Parameters
    ----------
    dv : ndarray, shape (..., V)
        :math:`\partial J/\partial v`.
    cache : AffineCache
        From :func:`affine_forward`.

    Returns
    -------
    AffineGrads
        ``dh`` (..., H), ``dW_v`` (V, H), ``db_v`` (V,).
    """
    _v.check_type("cache", cache, AffineCache)
    h, W_v = cache
    _v.check_float("dv", dv)
    _v.check_same_dtype(h=h, dv=dv)
    _v.check_finite("dv", dv)
    V, H = W_v.shape
    if dv.shape != h.shape[:-1] + (V,):
        raise ValueError(
            f"dv: expected shape {h.shape[:-1] + (V,)} (the shape of v), got {dv.shape}"
        )
    dv2 = dv.reshape(-1, V)  # (N, V), N = all leading axes
    h2 = h.reshape(-1, H)  # (N, H)
    dh = dv @ W_v  # (..., H)   dJ/dh = W_v^T dJ/dv, row form
    dW_v = dv2.T @ h2  # (V, H)  sum over N of dv h^T, one GEMM
    db_v = dv2.sum(axis=0)  # (V,)
    return AffineGrads(dh=dh, dW_v=dW_v, db_v=db_v)
