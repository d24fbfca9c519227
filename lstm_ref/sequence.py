r"""The whole sequence, plainly: backpropagation through time as a loop over the step pair.

This is the code the BPTT chapter shows. :func:`lstm_forward` calls
:func:`~lstm_ref.cell.lstm_step_forward` for t = 1..T and keeps every step's
cache; :func:`lstm_backward` walks the steps in reverse, calls
:func:`~lstm_ref.cell.lstm_step_backward` with the total gradient of
:math:`h_t`, carries ``dh_next`` and ``dc_next`` back to step t-1, and sums the
weight gradients, since one W and b serve every step. CS231n's
``lstm_forward``/``lstm_backward`` (``rnn_layers.py``) are the model::

    h, c, cache = lstm_forward(x, h0, c0, W, b)
    dx, dh0, dc0, dW, db = lstm_backward(dh, cache)

The same two passes, organised for speed, are :mod:`lstm_ref.fused` (the
subject of the performance chapter, tested equal to these).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as _v
from .cell import StepCache, lstm_step_backward, lstm_step_forward

__all__ = ["SeqCache", "SeqGrads", "lstm_forward", "lstm_backward"]


class SeqCache(NamedTuple):
    """What :func:`lstm_backward` needs: the cache of every step, in time order."""

    steps: tuple[StepCache, ...]  #: T step caches; ``steps[t-1]`` is step t's


class SeqGrads(NamedTuple):
    """Gradients of a whole-sequence forward pass's inputs, summed over all steps."""

    dx: np.ndarray  #: (T, B, D)
    dh0: np.ndarray  #: (B, H)
    dc0: np.ndarray  #: (B, H)
    dW: np.ndarray  #: (4H, H+D)
    db: np.ndarray  #: (4H,)


def lstm_forward(x, h0, c0, W, b):
    r"""LSTM forward over a whole sequence: the step function, T times.

    Equations
    ---------
    For :math:`t = 1, \dots, T` (code index ``t-1``), with :math:`z_t = [h_{t-1}; x_t]`:

    .. math::

        a_t &= W z_t + b = [a_f; a_i; a_o; a_g] \\
        c_t &= \sigma(a_f) \odot c_{t-1} + \sigma(a_i) \odot \tanh(a_g) \\
        h_t &= \sigma(a_o) \odot \tanh(c_t)

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
        Inputs of all steps.
    h0 : ndarray, shape (B, H)
        Initial hidden state.
    c0 : ndarray, shape (B, H)
        Initial cell state.
    W : ndarray, shape (4H, H+D)
        Fused weight, gates f, i, o, g; columns act on [h_prev, x].
    b : ndarray, shape (4H,)
        Fused bias.

    Returns
    -------
    h : ndarray, shape (T, B, H)
        :math:`h_1, \dots, h_T`.
    c : ndarray, shape (T, B, H)
        :math:`c_1, \dots, c_T`.
    cache : SeqCache
    """
    _v.check_floats(x=x, h0=h0, c0=c0, W=W, b=b)
    _v.check_shapes(
        ("x", x, "T B D"),
        ("h0", h0, "B H"),
        ("c0", c0, "B H"),
        ("W", W, "4H H+D"),
        ("b", b, "4H"),
    )
    h_t, c_t = h0, c0
    hs, cs, caches = [], [], []
    for x_t in x:  # t = 1, ..., T
        h_t, c_t, step_cache = lstm_step_forward(x_t, h_t, c_t, W, b)
        hs.append(h_t)
        cs.append(c_t)
        caches.append(step_cache)
    return np.stack(hs), np.stack(cs), SeqCache(steps=tuple(caches))


def lstm_backward(dh, cache: SeqCache, *, dh_T=None, dc_T=None) -> SeqGrads:
    r"""Backpropagation through time for :func:`lstm_forward`.

    Step backward, T times in reverse.

    Equations
    ---------
    For :math:`t = T, \dots, 1`, with :math:`\delta X = \partial J/\partial X`:

    .. math::

        \delta h_t &= \underbrace{\texttt{dh[t]}}_{\text{upstream}}
                     + \underbrace{\delta h_t^{\text{next}}}_{\text{from step } t+1} \\
        (\delta x_t, \delta h_{t-1}^{\text{next}}, \delta c_{t-1}^{\text{next}},
        \delta W_t, \delta b_t) &=
                     \text{step backward}(\delta h_t, \delta c_t^{\text{next}}) \\
        \delta W &= \sum_t \delta W_t, \qquad \delta b = \sum_t \delta b_t

    with nothing arriving from step T+1 (or ``dh_T``, ``dc_T`` when given),
    and :math:`\delta h_0, \delta c_0` what step 1 sends back.

    Parameters
    ----------
    dh : ndarray, shape (T, B, H)
        Upstream :math:`\partial J/\partial h_t` for every step (e.g. from
        the output layer); zeros where J does not use :math:`h_t` directly.
    cache : SeqCache
        From :func:`lstm_forward`.
    dh_T : ndarray, shape (B, H), optional
        Gradient arriving at the final hidden state :math:`h_T` from beyond
        the sequence (the next chunk in truncated BPTT); default zero.
    dc_T : ndarray, shape (B, H), optional
        Gradient arriving at the final cell state :math:`c_T`; default zero.

    Returns
    -------
    SeqGrads
        ``dx`` (T, B, D), ``dh0`` (B, H), ``dc0`` (B, H),
        ``dW`` (4H, H+D), ``db`` (4H,).
    """
    _v.check_type("cache", cache, SeqCache)
    if len(cache.steps) == 0:
        raise ValueError(
            "cache: expected the caches of T >= 1 steps, got SeqCache(steps=())"
        )
    first = cache.steps[0]
    T = len(cache.steps)
    B, H = first.f.shape
    D = first.z.shape[1] - H
    extra = {k: v for k, v in (("dh_T", dh_T), ("dc_T", dc_T)) if v is not None}
    _v.check_floats(dh=dh, **extra)
    _v.check_same_dtype(cache=first.z, dh=dh, **extra)
    _v.check_shapes(("dh", dh, "T B H"), *((k, v, "B H") for k, v in extra.items()),
                    sizes={"T": T, "B": B, "H": H})

    dx = np.empty((T, B, D), dh.dtype)  # (T, B, D)
    dW = np.zeros_like(first.W)  # (4H, H+D) summed over steps
    db = np.zeros(4 * H, dh.dtype)  # (4H,) summed over steps
    # into h_T and c_T from t = T+1
    dh_next = np.zeros((B, H), dh.dtype) if dh_T is None else dh_T  # (B, H)
    dc_next = np.zeros((B, H), dh.dtype) if dc_T is None else dc_T  # (B, H)
    for t in reversed(range(T)):  # code index t is step t+1
        # h_t feeds the loss directly (upstream) and step t+1 (dh_next): add both paths.
        step = lstm_step_backward(dh[t] + dh_next, dc_next, cache.steps[t])
        dx[t] = step.dx
        dW += step.dW  # one W serves every step: sum the contributions
        db += step.db
        # what step t sends back to step t-1
        dh_next, dc_next = step.dh_prev, step.dc_prev
    return SeqGrads(dx=dx, dh0=dh_next, dc0=dc_next, dW=dW, db=db)
