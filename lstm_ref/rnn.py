r"""The vanilla tanh RNN, in the course's layout: the contrast to the LSTM.

One weight acts on the stacked input :math:`z_t = [h_{t-1}; x_t]`, exactly as
the LSTM's fused weight does, but there is a single block and no cell state::

    h, cache = rnn_step_forward(x, h_prev, W, b)       # W (H, H+D), b (H,)
    dx, dh_prev, dW, db = rnn_step_backward(dh, cache)

    h, cache = rnn_forward(x, h0, W, b)                 # x (T, B, D), h (T, B, H)
    dx, dh0, dW, db = rnn_backward(dh, cache)

The same pure pairs and plain loops as :mod:`lstm_ref.cell` and
:mod:`lstm_ref.sequence` (CS231n's ``rnn_layers.py`` is the model). Backward,
every step multiplies the gradient by :math:`W_h^\top` and by
:math:`\operatorname{diag}(1 - h_t^2)`: the product over many steps is what
makes the RNN's gradient vanish or explode (:mod:`lstm_ref.flow`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as _v
from .activations import _tanh
from .params import _check_dtype

__all__ = ["RNNParams", "init_rnn_params", "RNNStepCache", "RNNStepGrads", "rnn_step_forward",
           "rnn_step_backward", "RNNSeqCache", "RNNSeqGrads", "rnn_forward", "rnn_backward"]


class RNNParams(NamedTuple):
    """Parameters of the vanilla RNN: one weight on :math:`[h_{t-1}; x_t]` and a bias."""

    W: np.ndarray  #: (H, H+D) columns act on [h_prev, x]
    b: np.ndarray  #: (H,)


class RNNStepCache(NamedTuple):
    """What :func:`rnn_step_backward` needs: the stacked input and the output.

    The derivative of the tanh is computed from the output,
    :math:`\\tanh'(a_t) = 1 - h_t^2`, so the pre-activation is not kept.
    """

    z: np.ndarray  #: (B, H+D) stacked input [h_prev, x]
    h: np.ndarray  #: (B, H) new hidden state tanh(a)
    W: np.ndarray  #: (H, H+D) weight


class RNNStepGrads(NamedTuple):
    """Gradients of one step's inputs; ``dX`` is the gradient of J w.r.t. ``X``."""

    dx: np.ndarray  #: (B, D)
    dh_prev: np.ndarray  #: (B, H)
    dW: np.ndarray  #: (H, H+D) this step's contribution
    db: np.ndarray  #: (H,) this step's contribution


class RNNSeqCache(NamedTuple):
    """What :func:`rnn_backward` needs: the cache of every step, in time order."""

    steps: tuple[RNNStepCache, ...]  #: T step caches; ``steps[t-1]`` is step t's


class RNNSeqGrads(NamedTuple):
    """Gradients of a whole-sequence forward pass's inputs, summed over all steps."""

    dx: np.ndarray  #: (T, B, D)
    dh0: np.ndarray  #: (B, H)
    dW: np.ndarray  #: (H, H+D)
    db: np.ndarray  #: (H,)


def init_rnn_params(D: int, H: int, rng: np.random.Generator, *, scale=None,
                    dtype=np.float64) -> RNNParams:
    r"""Random parameters of the vanilla RNN.

    Equations
    ---------
    .. math::

        W_{jk} \sim \mathcal U(-s, s), \quad s = \frac{1}{\sqrt{H + D}}, \qquad b = 0

    Parameters
    ----------
    D : int
        Input size.
    H : int
        Hidden size.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(0)``.
    scale : float, optional
        Half-width :math:`s` of the uniform distribution; default
        :math:`1/\sqrt{H+D}`.
    dtype : float32 or float64, default float64

    Returns
    -------
    RNNParams
        ``W`` (H, H+D) and ``b`` (H,).
    """
    _v.check_positive("D", D, integer=True)
    _v.check_positive("H", H, integer=True)
    _v.check_type("rng", rng, np.random.Generator)
    dtype = _check_dtype(dtype)
    if scale is None:
        scale = 1.0 / np.sqrt(H + D)
    _v.check_positive("scale", scale)
    W = rng.uniform(-scale, scale, size=(H, H + D)).astype(dtype)
    b = np.zeros(H, dtype=dtype)
    return RNNParams(W=W, b=b)


def rnn_step_forward(x, h_prev, W, b):
    r"""One vanilla RNN step on a batch of rows.

    Equations
    ---------
    .. math::

        z_t &= [h_{t-1}; x_t] \\
        a_t &= W z_t + b = W_h h_{t-1} + W_x x_t + b \\
        h_t &= \tanh(a_t)

    Parameters
    ----------
    x : ndarray, shape (B, D)
        Input :math:`x_t`.
    h_prev : ndarray, shape (B, H)
        Previous hidden state :math:`h_{t-1}`.
    W : ndarray, shape (H, H+D)
        Weight; its first H columns (:math:`W_h`) act on ``h_prev``, the
        others (:math:`W_x`) on ``x``.
    b : ndarray, shape (H,)
        Bias.

    Returns
    -------
    h : ndarray, shape (B, H)
    cache : RNNStepCache
    """
    _v.check_floats(x=x, h_prev=h_prev, W=W, b=b)
    _v.check_shapes(("x", x, "B D"), ("h_prev", h_prev, "B H"), ("W", W, "H H+D"),
                    ("b", b, "H"))
    z = np.concatenate([h_prev, x], axis=1)  # (B, H+D), h first as in the LSTM
    a = z @ W.T + b  # (B, H) pre-activation
    h = _tanh(a)  # new hidden state
    return h, RNNStepCache(z=z, h=h, W=W)


def rnn_step_backward(dh, cache: RNNStepCache) -> RNNStepGrads:
    r"""Backward pass of one vanilla RNN step.

    ``dh`` must be the TOTAL gradient :math:`\partial J/\partial h_t`: the
    output layer's term plus ``dh_next`` from step t+1, added by the caller.

    Equations
    ---------
    .. math::

        \delta a_t &= \delta h_t \odot (1 - h_t^2) \\
        \delta W &= \delta a_t\, z_t^\top, \quad \delta b = \delta a_t \\
        \delta z_t &= W^\top \delta a_t = [\delta h_{t-1}; \delta x_t]

    where :math:`\delta X = \partial J/\partial X`, summed over the batch rows
    for :math:`\delta W` and :math:`\delta b`.

    Parameters
    ----------
    dh : ndarray, shape (B, H)
        Total :math:`\partial J/\partial h_t`.
    cache : RNNStepCache
        From :func:`rnn_step_forward`.

    Returns
    -------
    RNNStepGrads
        ``dx`` (B, D), ``dh_prev`` (B, H), ``dW`` (H, H+D), ``db`` (H,).
    """
    _v.check_type("cache", cache, RNNStepCache)
    z, h, W = cache
    _v.check_floats(dh=dh)
    _v.check_same_dtype(cache=z, dh=dh)
    _v.check_shapes(("dh", dh, "B H"), sizes={"B": h.shape[0], "H": h.shape[1]})
    H = h.shape[1]

    # Through the tanh: h = tanh(a)  =>  dJ/da = dh * (1 - h^2), from the output.
    da = dh * (1 - h**2)  # (B, H)

    # Weight and bias: a = W z + b  =>  dW = da z^T, db = da (summed over rows).
    dW = da.T @ z  # (H, H+D)
    db = da.sum(axis=0)  # (H,)

    # Stacked input: dJ/dz = W^T da, split into its h and x parts.
    dz = da @ W  # (B, H+D)
    dh_prev = dz[:, :H]  # (B, H)  = W_h^T da: the recurrent path to step t-1
    dx = dz[:, H:]  # (B, D)
    return RNNStepGrads(dx=dx, dh_prev=dh_prev, dW=dW, db=db)


def rnn_forward(x, h0, W, b):
    r"""Vanilla RNN forward over a whole sequence: the step function, T times.

    Equations
    ---------
    For :math:`t = 1, \dots, T` (code index ``t-1``):

    .. math::

        h_t = \tanh(W [h_{t-1}; x_t] + b)

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
        Inputs of all steps.
    h0 : ndarray, shape (B, H)
        Initial hidden state.
    W : ndarray, shape (H, H+D)
        Weight; columns act on [h_prev, x].
    b : ndarray, shape (H,)
        Bias.

    Returns
    -------
    h : ndarray, shape (T, B, H)
        :math:`h_1, \dots, h_T`.
    cache : RNNSeqCache
    """
    _v.check_floats(x=x, h0=h0, W=W, b=b)
    _v.check_shapes(("x", x, "T B D"), ("h0", h0, "B H"), ("W", W, "H H+D"), ("b", b, "H"))
    h_t = h0
    hs, caches = [], []
    for x_t in x:  # t = 1, ..., T
        h_t, step_cache = rnn_step_forward(x_t, h_t, W, b)
        hs.append(h_t)
        caches.append(step_cache)
    return np.stack(hs), RNNSeqCache(steps=tuple(caches))


def rnn_backward(dh, cache: RNNSeqCache, *, dh_T=None) -> RNNSeqGrads:
    r"""Backpropagation through time for :func:`rnn_forward`.

    Equations
    ---------
    For :math:`t = T, \dots, 1`, with :math:`\delta X = \partial J/\partial X`
    and :math:`\delta a_{T+1} = 0`:

    .. math::

        \delta h_t &= \underbrace{\texttt{dh[t]}}_{\text{upstream}}
                     + \underbrace{W_h^\top \delta a_{t+1}}_{\text{from step } t+1} \\
        \delta a_t &= \delta h_t \odot (1 - h_t^2) \\
        \delta W &= \sum_t \delta a_t [h_{t-1}; x_t]^\top, \quad
        \delta b = \sum_t \delta a_t, \quad \delta x_t = W_x^\top \delta a_t, \quad
        \delta h_0 = W_h^\top \delta a_1

    Parameters
    ----------
    dh : ndarray, shape (T, B, H)
        Upstream :math:`\partial J/\partial h_t` for every step; zeros where J
        does not use :math:`h_t` directly.
    cache : RNNSeqCache
        From :func:`rnn_forward`.
    dh_T : ndarray, shape (B, H), optional
        Gradient arriving at :math:`h_T` from beyond the sequence; default zero.

    Returns
    -------
    RNNSeqGrads
        ``dx`` (T, B, D), ``dh0`` (B, H), ``dW`` (H, H+D), ``db`` (H,).
    """
    _v.check_type("cache", cache, RNNSeqCache)
    if len(cache.steps) == 0:
        raise ValueError("cache: expected the caches of T >= 1 steps, got RNNSeqCache(steps=())")
    first = cache.steps[0]
    T = len(cache.steps)
    B, H = first.h.shape
    D = first.z.shape[1] - H
    extra = {} if dh_T is None else {"dh_T": dh_T}
    _v.check_floats(dh=dh, **extra)
    _v.check_same_dtype(cache=first.z, dh=dh, **extra)
    _v.check_shapes(("dh", dh, "T B H"), *((k, v, "B H") for k, v in extra.items()),
                    sizes={"T": T, "B": B, "H": H})

    dx = np.empty((T, B, D), dh.dtype)  # (T, B, D)
    dW = np.zeros_like(first.W)  # (H, H+D) summed over steps
    db = np.zeros(H, dh.dtype)  # (H,) summed over steps
    dh_next = np.zeros((B, H), dh.dtype) if dh_T is None else dh_T  # (B, H) into h_T
    for t in reversed(range(T)):  # code index t is step t+1
        # h_t feeds the loss directly (upstream) and step t+1 (dh_next): add both paths.
        step = rnn_step_backward(dh[t] + dh_next, cache.steps[t])
        dx[t] = step.dx
        dW += step.dW  # one W serves every step: sum the contributions
        db += step.db
        dh_next = step.dh_prev  # what step t sends back to step t-1
    return RNNSeqGrads(dx=dx, dh0=dh_next, dW=dW, db=db)
