r"""Sampling from the stacked LSTM language model, with a temperature.

One step of every layer per symbol (the family's step function), then a draw
from :math:`\operatorname{softmax}(v_t / \tau)`: :math:`\tau = 1` samples the
model's distribution, :math:`\tau \to 0` picks the most likely symbol (greedy
decoding), a large :math:`\tau` flattens the distribution towards uniform.
The caller passes a seeded ``numpy.random.Generator``; nothing is global.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as _v
from ..family.cell import family_step_forward
from ..family.config import LSTMConfig
from .params import StackParams, check_stack_params, check_symbols

__all__ = ["sample_stack"]


def _check_temperature(temperature) -> float:
    kinds = (int, float, np.integer, np.floating)
    if isinstance(temperature, bool) or not isinstance(temperature, kinds):
        raise TypeError(f"temperature: expected a positive finite number, "
                        f"got {type(temperature).__name__}")
    if not (temperature > 0 and np.isfinite(temperature)):
        raise ValueError(f"temperature: expected a positive finite number (> 0), "
                         f"got {temperature!r}")
    return float(temperature)


def sample_stack(params: StackParams, config: LSTMConfig, first, steps: int,
                 rng: np.random.Generator, *, temperature=1.0) -> np.ndarray:
    r"""Sample ``steps`` symbols after ``first``, one batch row per sequence.

    Equations
    ---------
    From zero states, for :math:`t = 1, \dots, \texttt{steps}` with
    :math:`x_1 = \texttt{first}`:

    .. math::

        v_t &= b_y + \textstyle\sum_n W_y^n h^n_t
        \quad (\text{the layers stepped on } x_t) \\
        x_{t+1} &\sim \operatorname{softmax}(v_t / \tau), \qquad
        \operatorname{softmax}(v/\tau)_k =
        \frac{e^{(v_k - \max v)/\tau}}{\sum_j e^{(v_j - \max v)/\tau}}

    (shifting by :math:`\max v` changes nothing and keeps every exponent
    :math:`\le 0`). The draw is by inverse CDF: the first k whose cumulative
    probability exceeds a uniform number times the total.

    Parameters
    ----------
    params : StackParams
    config : LSTMConfig
    first : ndarray of int, shape (B,)
        The first symbol of each sequence, in [0, K).
    steps : int
        How many symbols to draw (>= 1).
    rng : numpy.random.Generator
        Seeded by the caller; the draws consume ``rng.random`` only.
    temperature : float, default 1.0
        :math:`\tau > 0`, finite.

    Returns
    -------
    ndarray of int64, shape (steps, B)
        :math:`x_2, \dots, x_{\texttt{steps}+1}` (``first`` not included).
    """
    K, sizes = check_stack_params(params, config)
    check_symbols("first", first, K, "B")
    _v.check_positive("steps", steps, integer=True)
    _v.check_type("rng", rng, np.random.Generator)
    tau = _check_temperature(temperature)
    B = first.shape[0]
    dtype = params.b_y.dtype
    h = [np.zeros((B, H), dtype) for H in sizes]  # (B, H_n) each
    c = [np.zeros((B, H), dtype) for H in sizes]  # (B, H_n) each
    out = np.empty((steps, B), np.int64)  # (steps, B)
    x = first
    for s in range(steps):
        u = np.zeros((B, 0), dtype)  # layer 1: no dense input
        v = params.b_y  # (K,), then (B, K)
        for n, layer in enumerate(params.layers):
            a_in = layer.W_x.T[x]  # (B, G*H_n): column x_t of W_x^n
            h[n], c[n], _ = family_step_forward(u, h[n], c[n], layer.cell, config,
                                                a_in=a_in)
            v = v + h[n] @ params.W_y[n].T  # (B, K)
            u = h[n]
        with np.errstate(over="ignore"):  # (v - max) / tiny tau -> -inf: exp gives 0
            z = (v - v.max(axis=1, keepdims=True)) / tau  # (B, K), every entry <= 0
        p = np.exp(z)  # (B, K) unnormalised, the max entry is 1
        cdf = np.cumsum(p, axis=1)  # (B, K)
        threshold = rng.random((B, 1)) * cdf[:, -1:]  # (B, 1) uniform in [0, total)
        x = np.argmax(cdf > threshold, axis=1)  # (B,) first k with cdf_k > threshold
        out[s] = x
    return out
