"""One LSTM step, forward and backward, exactly as source 000 presents the cell.

The step functions are a pure pair in the style of CS231n's ``rnn_layers.py``::

    h, c, cache = lstm_step_forward(x, h_prev, c_prev, W, b)
    dx, dh_prev, dc_prev, dW, db = lstm_step_backward(dh, dc_next, cache)

No hidden state, no call-order coupling. Rows of every array are batch
examples, so the column-vector equation :math:`a = W z + b` is ``z @ W.T + b``.
The fast whole-sequence version is :mod:`lstm_ref.sequence`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as _v
from .activations import _sigmoid, _tanh
from .params import fuse_gates, split_gates

__all__ = ["StepCache", "StepGrads", "lstm_step_forward", "lstm_step_backward"]


class StepCache(NamedTuple):
    """What the backward step needs: activations, not pre-activations.

    The derivatives of the gates are computed from these outputs
    (:math:`\\sigma' = \\sigma(1-\\sigma)`, :math:`\\tanh' = 1 - \\tanh^2`).
    """

    z: np.ndarray  #: (B, H+D) stacked input [h_prev, x]
    f: np.ndarray  #: (B, H) forget gate
    i: np.ndarray  #: (B, H) input gate
    o: np.ndarray  #: (B, H) output gate
    g: np.ndarray  #: (B, H) candidate (source 000's c-hat)
    c_prev: np.ndarray  #: (B, H) previous cell state
    tanh_c: np.ndarray  #: (B, H) tanh of the new cell state
    W: np.ndarray  #: (4H, H+D) fused weight


class StepGrads(NamedTuple):
    """Gradients of one step's inputs; ``dX`` is the gradient of J w.r.t. ``X``."""

    dx: np.ndarray  #: (B, D)
    dh_prev: np.ndarray  #: (B, H)
    dc_prev: np.ndarray  #: (B, H)
    dW: np.ndarray  #: (4H, H+D) this step's contribution
    db: np.ndarray  #: (4H,) this step's contribution


def _check_step_inputs(x, h_prev, c_prev, W, b):
    _v.check_floats(x=x, h_prev=h_prev, c_prev=c_prev, W=W, b=b)
    return _v.check_shapes(
        ("x", x, "B D"),
        ("h_prev", h_prev, "B H"),
        ("c_prev", c_prev, "B H"),
        ("W", W, "4H H+D"),
        ("b", b, "4H"),
    )


def lstm_step_forward(x, h_prev, c_prev, W, b):
    r"""One LSTM step on a batch of rows.

    Equations
    ---------
    .. math::

        z_t &= [h_{t-1}; x_t] \\
        a_t &= W z_t + b = [a_f; a_i; a_o; a_g] \\
        f_t &= \sigma(a_f), \quad i_t = \sigma(a_i), \quad
        o_t = \sigma(a_o), \quad g_t = \tanh(a_g) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
        h_t &= o_t \odot \tanh(c_t)

    Parameters
    ----------
    x : ndarray, shape (B, D)
        Input :math:`x_t`.
    h_prev : ndarray, shape (B, H)
        Previous hidden state :math:`h_{t-1}`.
    c_prev : ndarray, shape (B, H)
        Previous cell state :math:`c_{t-1}`.
    W : ndarray, shape (4H, H+D)
        Fused weight, gates f, i, o, g; columns act on [h_prev, x].
    b : ndarray, shape (4H,)
        Fused bias.

    Returns
    -------
    h : ndarray, shape (B, H)
    c : ndarray, shape (B, H)
    cache : StepCache
    """
    _check_step_inputs(x, h_prev, c_prev, W, b)
    z = np.concatenate([h_prev, x], axis=1)  # (B, H+D), h first as in source 000
    a = z @ W.T + b  # (B, 4H) pre-activations of the four gates
    a_f, a_i, a_o, a_g = split_gates(a)
    f = _sigmoid(a_f)  # forget gate
    i = _sigmoid(a_i)  # input gate
    o = _sigmoid(a_o)  # output gate
    g = _tanh(a_g)  # candidate
    c = f * c_prev + i * g  # new cell state
    tanh_c = _tanh(c)
    h = o * tanh_c  # new hidden state
    cache = StepCache(z=z, f=f, i=i, o=o, g=g, c_prev=c_prev, tanh_c=tanh_c, W=W)
    return h, c, cache


def lstm_step_backward(dh, dc_next, cache: StepCache) -> StepGrads:
    r"""Backward pass of one LSTM step, in source 000's order.

    ``dh`` must be the TOTAL gradient :math:`\partial J/\partial h_t`: the
    output layer's term plus ``dh_next`` from step t+1, added by the caller
    (source 000: "dJ/dh_t += dJ/dh_next"). ``dc_next`` is the gradient
    arriving at :math:`c_t` from step t+1 (zeros at the last step).

    Equations
    ---------
    .. math::

        \delta a_o &= \delta h_t \odot \tanh(c_t) \odot o_t (1 - o_t) \\
        \delta c_t &= \delta h_t \odot o_t \odot (1 - \tanh^2 c_t)
                     + \delta c_{\text{next}} \\
        \delta a_g &= \delta c_t \odot i_t \odot (1 - g_t^2) \\
        \delta a_i &= \delta c_t \odot g_t \odot i_t (1 - i_t) \\
        \delta a_f &= \delta c_t \odot c_{t-1} \odot f_t (1 - f_t) \\
        \delta W &= \delta a\, z_t^\top, \quad \delta b = \delta a, \quad
        \delta z_t = W^\top \delta a = [\delta h_{t-1}; \delta x_t] \\
        \delta c_{t-1} &= \delta c_t \odot f_t

    where :math:`\delta X = \partial J/\partial X`, summed over the batch
    rows for :math:`\delta W` and :math:`\delta b`.

    Parameters
    ----------
    dh : ndarray, shape (B, H)
        Total :math:`\partial J/\partial h_t`.
    dc_next : ndarray, shape (B, H)
        :math:`\partial J/\partial c_t` from step t+1.
    cache : StepCache
        From :func:`lstm_step_forward`.

    Returns
    -------
    StepGrads
        ``dx`` (B, D), ``dh_prev`` (B, H), ``dc_prev`` (B, H),
        ``dW`` (4H, H+D), ``db`` (4H,).
    """
    _v.check_type("cache", cache, StepCache)
    z, f, i, o, g, c_prev, tanh_c, W = cache
    _v.check_floats(dh=dh, dc_next=dc_next)
    _v.check_same_dtype(cache=z, dh=dh)
    _v.check_shapes(
        ("dh", dh, "B H"),
        ("dc_next", dc_next, "B H"),
        sizes={"B": f.shape[0], "H": f.shape[1]},
    )
    H = f.shape[1]

    # Output gate: h = o * tanh(c)  =>  dJ/do = dh * tanh(c); through the sigmoid.
    do = dh * tanh_c  # (B, H)
    da_o = do * o * (1 - o)  # (B, H)

    # Cell state: dJ/dc_t = dh * o * tanh'(c) plus the gradient from step t+1.
    dc = dh * o * (1 - tanh_c**2) + dc_next  # (B, H)

    # Candidate: c = f*c_prev + i*g  =>  dJ/dg = dc * i; through the tanh.
    dg = dc * i  # (B, H)
    da_g = dg * (1 - g**2)  # (B, H)

    # Input gate: dJ/di = dc * g; through the sigmoid.
    di = dc * g  # (B, H)
    da_i = di * i * (1 - i)  # (B, H)

    # Forget gate: dJ/df = dc * c_prev; through the sigmoid.
    df = dc * c_prev  # (B, H)
    da_f = df * f * (1 - f)  # (B, H)

    # Weights and bias: a = W z + b  =>  dW = da z^T, db = da (summed over rows).
    da = fuse_gates(da_f, da_i, da_o, da_g)  # (B, 4H)
    dW = da.T @ z  # (4H, H+D)
    db = da.sum(axis=0)  # (4H,)

    # Stacked input: dJ/dz = W^T da, split into its h and x parts.
    dz = da @ W  # (B, H+D)
    dh_prev = dz[:, :H]  # (B, H)
    dx = dz[:, H:]  # (B, D)

    # Previous cell state: c = f*c_prev + ...  =>  dJ/dc_prev = dc * f.
    dc_prev = dc * f  # (B, H)
    return StepGrads(dx=dx, dh_prev=dh_prev, dc_prev=dc_prev, dW=dW, db=db)
