"""The one parameter layout of the course, and helpers to split and fuse it.

The four gates are stacked in the order **f, i, o, g** (source 000's order)::

    a = W z + b,   z = [h_prev; x]          (rows: a = z @ W.T + b)

    W = [ W_f ]  (4H, H+D)      b = [ b_f ]  (4H,)      columns of W:
        [ W_i ]                     [ b_i ]               W[:, :H]  = W_h  acts on h_prev
        [ W_o ]                     [ b_o ]               W[:, H:]  = W_x  acts on x
        [ W_g ]                     [ b_g ]

Source 000 calls the candidate's weight ``W_c`` and its output :math:`\\hat c_t`;
the course calls them ``W_g`` and ``g``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as _v

__all__ = [
    "GATES",
    "Gates",
    "split_gates",
    "fuse_gates",
    "split_weight",
    "fuse_weight",
    "split_weight_by_gate",
    "LSTMParams",
    "init_lstm_params",
    "init_affine_params",
]

#: Gate order of every fused array: forget, input, output, candidate.
GATES = ("f", "i", "o", "g")


class Gates(NamedTuple):
    """Four per-gate blocks, in the order :data:`GATES`."""

    f: np.ndarray
    i: np.ndarray
    o: np.ndarray
    g: np.ndarray


def split_gates(a: np.ndarray) -> Gates:
    r"""Split a fused gate array into its four blocks (views, no copy).

    Equations
    ---------
    .. math::

        a = [a_f; a_i; a_o; a_g] \;\mapsto\; (a_f, a_i, a_o, a_g)

    Parameters
    ----------
    a : ndarray, shape (..., 4H)
        E.g. pre-activations (B, 4H), a bias (4H,) or gradients (T, B, 4H).

    Returns
    -------
    Gates
        Four views of shape (..., H).
    """
    _v.check_array("a", a)
    if a.ndim < 1 or a.shape[-1] % 4:
        raise ValueError(f"a: expected shape (..., 4H), last axis divisible by 4, got {a.shape}")
    H = a.shape[-1] // 4
    return Gates(*(a[..., k * H : (k + 1) * H] for k in range(4)))


def fuse_gates(f: np.ndarray, i: np.ndarray, o: np.ndarray, g: np.ndarray) -> np.ndarray:
    r"""Stack four per-gate blocks along the last axis, in the order f, i, o, g.

    Equations
    ---------
    .. math::

        (a_f, a_i, a_o, a_g) \;\mapsto\; [a_f; a_i; a_o; a_g]

    Parameters
    ----------
    f, i, o, g : ndarray, each shape (..., H)

    Returns
    -------
    ndarray, shape (..., 4H)
    """
    blocks = dict(f=f, i=i, o=o, g=g)
    for name, blk in blocks.items():
        _v.check_array(name, blk)
        if blk.shape != f.shape:
            raise ValueError(f"{name}: expected shape {f.shape} (the shape of f), got {blk.shape}")
    _v.check_same_dtype(**blocks)
    return np.concatenate([f, i, o, g], axis=-1)


def split_weight(W: np.ndarray, H: int):
    r"""Split the fused weight by columns into its recurrent and input parts.

    Equations
    ---------
    .. math::

        W z = W [h_{t-1}; x_t] = W_h h_{t-1} + W_x x_t

    Parameters
    ----------
    W : ndarray, shape (R, H+D) (usually R = 4H)
    H : int
        Hidden size: the first H columns act on ``h_prev``.

    Returns
    -------
    W_h : ndarray, shape (R, H)
        View of ``W[:, :H]``.
    W_x : ndarray, shape (R, D)
        View of ``W[:, H:]``.
    """
    _v.check_array("W", W)
    _v.check_positive("H", H, integer=True)
    if W.ndim != 2 or W.shape[1] <= H:
        raise ValueError(f"W: expected shape (4H, H+D) with H = {H} and D >= 1, got {W.shape}")
    return W[:, :H], W[:, H:]


def fuse_weight(W_h: np.ndarray, W_x: np.ndarray) -> np.ndarray:
    r"""Join recurrent and input weights into the fused weight (h columns first).

    Equations
    ---------
    .. math::

        W = [W_h \;\; W_x], \qquad W [h; x] = W_h h + W_x x

    Parameters
    ----------
    W_h : ndarray, shape (4H, H)
    W_x : ndarray, shape (4H, D)

    Returns
    -------
    ndarray, shape (4H, H+D)
    """
    _v.check_array("W_h", W_h)
    _v.check_array("W_x", W_x)
    _v.check_same_dtype(W_h=W_h, W_x=W_x)
    _v.check_shapes(("W_h", W_h, "R H"), ("W_x", W_x, "R D"))
    return np.concatenate([W_h, W_x], axis=1)


def split_weight_by_gate(W: np.ndarray) -> Gates:
    r"""Split the fused weight by rows into the four gate weights.

    Equations
    ---------
    .. math::

        W = [W_f; W_i; W_o; W_g], \qquad a_f = W_f z + b_f, \ \dots

    Parameters
    ----------
    W : ndarray, shape (4H, H+D)

    Returns
    -------
    Gates
        ``W_f, W_i, W_o, W_g``, views of shape (H, H+D).
    """
    _v.check_array("W", W)
    if W.ndim != 2 or W.shape[0] % 4:
        raise ValueError(f"W: expected shape (4H, H+D), rows divisible by 4, got {W.shape}")
    H = W.shape[0] // 4
    return Gates(*(W[k * H : (k + 1) * H] for k in range(4)))


class LSTMParams(NamedTuple):
    """Parameters of one LSTM layer in the fused layout.

    ``W`` has shape (4H, H+D) and ``b`` shape (4H,), gates in the order f, i, o, g.
    """

    W: np.ndarray
    b: np.ndarray

    @property
    def H(self) -> int:
        """Hidden size."""
        return self.W.shape[0] // 4

    @property
    def D(self) -> int:
        """Input size."""
        return self.W.shape[1] - self.H


def init_lstm_params(
    D: int,
    H: int,
    rng: np.random.Generator,
    *,
    forget_bias: float = 1.0,
    scale: float | None = None,
    dtype=np.float64,
) -> LSTMParams:
    r"""Random LSTM parameters in the fused layout.

    Equations
    ---------
    .. math::

        W_{jk} \sim \mathcal U(-s, s), \quad s = \frac{1}{\sqrt{H + D}}, \qquad
        b = [\,\underbrace{b_f}_{=\text{forget\_bias}};\ 0;\ 0;\ 0\,]

    The weights are drawn uniformly from :math:`[-s, s)`; ``scale`` overrides
    :math:`s`. Each pre-activation then has variance about :math:`1/3` of the
    variance of :math:`z`. A positive forget bias starts the forget gate near
    :math:`\sigma(1) \approx 0.73`, so the cell keeps its memory early in
    training (Gers et al., 2000; Jozefowicz et al., 2015).

    Parameters
    ----------
    D : int
        Input size.
    H : int
        Hidden size.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(0)``.
    forget_bias : float, default 1.0
        Value of every entry of :math:`b_f`; the other biases are 0.
    scale : float, optional
        Half-width :math:`s` of the uniform distribution; default
        :math:`1/\sqrt{H+D}`.
    dtype : float32 or float64, default float64

    Returns
    -------
    LSTMParams
        ``W`` (4H, H+D) and ``b`` (4H,).
    """
    _v.check_positive("D", D, integer=True)
    _v.check_positive("H", H, integer=True)
    _v.check_type("rng", rng, np.random.Generator)
    dtype = _check_dtype(dtype)
    if scale is None:
        scale = 1.0 / np.sqrt(H + D)
    _v.check_positive("scale", scale)
    _v.check_type("forget_bias", forget_bias, (int, float, np.integer, np.floating))
    if isinstance(forget_bias, bool) or not np.isfinite(forget_bias):
        raise ValueError(f"forget_bias: expected a finite number, got {forget_bias!r}")
    W = rng.uniform(-scale, scale, size=(4 * H, H + D)).astype(dtype)
    b = np.zeros(4 * H, dtype=dtype)
    split_gates(b).f[...] = forget_bias
    return LSTMParams(W=W, b=b)


def init_affine_params(H: int, V: int, rng: np.random.Generator, *, dtype=np.float64):
    r"""Random output-layer parameters.

    Equations
    ---------
    .. math::

        (W_v)_{jk} \sim \mathcal U(-s, s), \quad s = 1/\sqrt{H}, \qquad b_v = 0

    Parameters
    ----------
    H : int
        Hidden size (input of the layer).
    V : int
        Output size.
    rng : numpy.random.Generator
    dtype : float32 or float64, default float64

    Returns
    -------
    W_v : ndarray, shape (V, H)
    b_v : ndarray, shape (V,)
    """
    _v.check_positive("H", H, integer=True)
    _v.check_positive("V", V, integer=True)
    _v.check_type("rng", rng, np.random.Generator)
    dtype = _check_dtype(dtype)
    s = 1.0 / np.sqrt(H)
    W_v = rng.uniform(-s, s, size=(V, H)).astype(dtype)
    b_v = np.zeros(V, dtype=dtype)
    return W_v, b_v


def _check_dtype(dtype) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype: expected float32 or float64, got {dtype!r}") from None
    if dt not in _v.FLOAT_DTYPES:
        raise TypeError(f"dtype: expected float32 or float64, got {dt}")
    return dt
