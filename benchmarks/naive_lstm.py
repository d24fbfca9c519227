"""A naive LSTM over a sequence, written the way source 000 presents it.

This is the *baseline* of the performance benchmark, not a second reference.
It computes exactly what ``lstm_ref.fused_lstm_forward`` /
``lstm_ref.fused_lstm_backward`` compute (same arguments, same fused parameter
layout, same gradients; ``tests/test_benchmark_naive.py`` checks it) but keeps
the structure of the per-step equations of source 000:

* four separate gate products per step, each on the stacked input
  ``z_t = [h_{t-1}, x_t]`` (``W_f z_t + b_f``, ``W_i z_t + b_i``,
  ``W_o z_t + b_o``, ``W_c z_t + b_c``);
* a backward loop that carries ``dh_next`` and ``dc_next`` from step to step;
* per-step weight-gradient accumulation ``dW_f += da_f^T z_t`` (four small
  products per step, summed over the steps), and
  ``dz_t = sum_gates da_gate W_gate`` (four more products per step).

The batch is stored as rows and handled by every product at once: what makes
this version naive is its per-gate, per-step structure, not a loop over the
batch. The benchmark compares it with ``lstm_ref.fused``, whose design does the
input projection, ``dx`` and ``dW`` as single products over all steps.

Source 000 calls the candidate ``c_hat`` and its weight ``W_c``; the course
calls them ``g`` and ``W_g`` (gate order f, i, o, g).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lstm_ref.params import split_gates, split_weight_by_gate
from lstm_ref.sequence import SeqGrads

__all__ = ["NaiveCache", "naive_lstm_forward", "naive_lstm_backward"]


class NaiveCache(NamedTuple):
    """What the naive backward pass needs: per-step lists, one entry per step t."""

    z: list          # T arrays (B, H+D): z_t = [h_{t-1}, x_t]
    f: list          # T arrays (B, H)
    i: list          # T arrays (B, H)
    o: list          # T arrays (B, H)
    g: list          # T arrays (B, H): source 000's c_hat
    c_prev: list     # T arrays (B, H): c_{t-1}
    tanh_c: list     # T arrays (B, H)
    W_gates: tuple   # (W_f, W_i, W_o, W_g), each (H, H+D)
    H: int
    D: int


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # source 000's sigma(a) = 1 / (1 + exp(-a)), the plain formula; for very negative a,
    # exp(-a) overflows to inf and 1 / inf = 0 is the correct limit (the caller
    # silences that harmless overflow flag once, around the whole time loop)
    return 1.0 / (1.0 + np.exp(-a))


def naive_lstm_forward(x, h0, c0, W, b):
    """Run the LSTM over T steps with four separate gate products per step.

    Equations
    ---------
    For t = 1..T, with z_t = [h_{t-1}, x_t]::

        f_t = sigma(W_f z_t + b_f)     i_t = sigma(W_i z_t + b_i)
        o_t = sigma(W_o z_t + b_o)     g_t = tanh(W_g z_t + b_g)
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
    h0, c0 : ndarray, shape (B, H)
    W : ndarray, shape (4H, H+D)
        Fused weight, gate blocks f, i, o, g; columns act on [h_prev, x].
    b : ndarray, shape (4H,)

    Returns
    -------
    h, c : ndarray, shape (T, B, H)
    cache : NaiveCache
    """
    T, B, D = x.shape
    H = h0.shape[1]
    W_f, W_i, W_o, W_g = split_weight_by_gate(W)          # each (H, H+D)
    b_f, b_i, b_o, b_g = split_gates(b)                   # each (H,)
    h = np.empty((T, B, H), dtype=x.dtype)
    c = np.empty((T, B, H), dtype=x.dtype)
    stores = ([], [], [], [], [], [], [])                 # z, f, i, o, g, c_prev, tanh_c
    h_prev, c_prev = h0, c0
    with np.errstate(over="ignore"):  # exp(-a) -> inf in _sigmoid is harmless
        for t in range(T):
            z = np.concatenate([h_prev, x[t]], axis=1)          # (B, H+D)
            f = _sigmoid(z @ W_f.T + b_f)                        # (B, H)
            i = _sigmoid(z @ W_i.T + b_i)
            o = _sigmoid(z @ W_o.T + b_o)
            g = np.tanh(z @ W_g.T + b_g)
            c_t = f * c_prev + i * g
            tanh_c = np.tanh(c_t)
            h_t = o * tanh_c
            for store, value in zip(stores, (z, f, i, o, g, c_prev, tanh_c)):
                store.append(value)
            h[t], c[t] = h_t, c_t
            h_prev, c_prev = h_t, c_t
    cache = NaiveCache(*stores, W_gates=(W_f, W_i, W_o, W_g), H=H, D=D)
    return h, c, cache


def naive_lstm_backward(dh, cache, *, dh_T=None, dc_T=None):
    """Backpropagate through time step by step, gate by gate (source 000's order).

    Equations
    ---------
    For t = T..1, with dh_t = dJ/dh_t (from the output) + dh_next::

        da_o = dh_t * tanh(c_t) * o_t (1 - o_t)
        dc_t = dh_t * o_t * (1 - tanh(c_t)^2) + dc_next
        da_g = dc_t * i_t * (1 - g_t^2)
        da_i = dc_t * g_t * i_t (1 - i_t)
        da_f = dc_t * c_{t-1} * f_t (1 - f_t)
        dW_k += da_k^T z_t,  db_k += sum_rows da_k      (k = f, i, o, g)
        dz_t = sum_k da_k W_k;  dh_next = dz_t[:, :H];  dx_t = dz_t[:, H:]
        dc_next = dc_t * f_t

    Parameters
    ----------
    dh : ndarray, shape (T, B, H)
        Gradient arriving at every h_t from the loss.
    cache : NaiveCache
    dh_T, dc_T : ndarray, shape (B, H), optional
        Extra gradient at the final states h_T and c_T.

    Returns
    -------
    SeqGrads
        dx (T, B, D), dh0 (B, H), dc0 (B, H), dW (4H, H+D), db (4H,).
    """
    T, B, H = dh.shape
    D = cache.D
    W_f, W_i, W_o, W_g = cache.W_gates
    dtype = dh.dtype
    dW_f, dW_i, dW_o, dW_g = (np.zeros_like(W_f) for _ in range(4))   # 4 x (H, H+D)
    db_f, db_i, db_o, db_g = (np.zeros(H, dtype) for _ in range(4))   # 4 x (H,)
    dx = np.empty((T, B, D), dtype=dtype)                              # (T, B, D)
    dh_next = np.zeros((B, H), dtype) if dh_T is None else dh_T.copy()  # (B, H)
    dc_next = np.zeros((B, H), dtype) if dc_T is None else dc_T.copy()  # (B, H)
    for t in reversed(range(T)):
        z, f, i, o = cache.z[t], cache.f[t], cache.i[t], cache.o[t]
        g, c_prev, tanh_c = cache.g[t], cache.c_prev[t], cache.tanh_c[t]
        # both paths into h_t
        dh_t = dh[t] + dh_next                                  # (B, H)
        # output gate: h_t = o_t * tanh(c_t)
        do = dh_t * tanh_c                                      # (B, H)
        da_o = do * o * (1 - o)                                 # (B, H)
        # cell: through tanh(c_t), plus the path from c_{t+1}
        dc = dh_t * o * (1 - tanh_c ** 2) + dc_next             # (B, H)
        # candidate (source 000's c_hat)
        dg = dc * i                                             # (B, H)
        da_g = dg * (1 - g ** 2)                                # (B, H)
        # input gate
        di = dc * g                                             # (B, H)
        da_i = di * i * (1 - i)                                 # (B, H)
        # forget gate
        df = dc * c_prev                                        # (B, H)
        da_f = df * f * (1 - f)                                 # (B, H)
        # per-step weight and bias gradients, accumulated over steps
        dW_f += da_f.T @ z
        dW_i += da_i.T @ z
        dW_o += da_o.T @ z
        dW_g += da_g.T @ z
        db_f += da_f.sum(axis=0)
        db_i += da_i.sum(axis=0)
        db_o += da_o.sum(axis=0)
        db_g += da_g.sum(axis=0)
        # stacked input: each gate contributes W_k^T da_k
        dz = da_f @ W_f + da_i @ W_i + da_o @ W_o + da_g @ W_g  # (B, H+D)
        dh_next = dz[:, :H]                                     # (B, H)
        dx[t] = dz[:, H:]
        dc_next = dc * f                                        # (B, H)
    dW = np.concatenate([dW_f, dW_i, dW_o, dW_g], axis=0)      # (4H, H+D)
    db = np.concatenate([db_f, db_i, db_o, db_g])              # (4H,)
    return SeqGrads(dx=dx, dh0=np.ascontiguousarray(dh_next), dc0=dc_next, dW=dW, db=db)
