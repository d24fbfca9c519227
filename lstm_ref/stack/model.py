r"""The stacked LSTM language model (source 001): forward, backward, loss.

Layer by layer up, then from the top layer down::

    logits, cache = stack_forward(symbols, params, config)    # symbols (T, B) int
    grads = stack_backward(dlogits, cache)
    J, grads = stack_loss(symbols, params, config)            # symbols (T+1, B) int

Each layer is one call of the family's plain loop
(:func:`~lstm_ref.family.sequence.family_forward` /
:func:`~lstm_ref.family.sequence.family_backward`), or, for the core cell
``LSTMConfig()``, of the fused path (:mod:`lstm_ref.fused`; ``path="auto"``
picks it). The symbol enters every layer as ``a_in``, a gathered column of
:math:`W_x^n`. Two gradients reach :math:`h^n_t`: the output layer's
:math:`W_y^{n\top} \delta v_t`, and, at the SAME step t, layer n+1's
:math:`\partial J/\partial h^n_t`, the ``dx`` of layer n+1's backward pass.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _validate as _v
from ..family.config import FamilyParams, LSTMConfig
from ..family.sequence import FamilySeqGrads, family_backward, family_forward
from ..fused import fused_lstm_backward, fused_lstm_forward, fused_workspace
from ..losses import softmax_cross_entropy
from .params import StackLayer, StackParams, check_stack_params, check_symbols

__all__ = ["PATHS", "StackCache", "StackGrads", "stack_forward", "stack_backward",
           "stack_loss", "stack_final_state"]

#: The values of ``path``: the fused path runs only the core cell ``LSTMConfig()``.
PATHS = ("auto", "plain", "fused")


class StackCache(NamedTuple):
    """What :func:`stack_backward` needs."""

    config: LSTMConfig  #: the cell of every layer
    params: StackParams
    symbols: np.ndarray  #: (T, B) int, the input symbols x_1..x_T
    h: tuple  #: N arrays (T, B, H_n): every layer's hidden states
    layers: tuple  #: N layer caches: FamilySeqCache (plain) or FusedCache (fused)
    work: tuple  #: N FusedWorkspace (fused; backward reads ``da`` there) or None
    path: str  #: "plain" or "fused"


class StackGrads(NamedTuple):
    """Gradients of J, shaped like the parameters (and the initial states)."""

    layers: tuple[StackLayer, ...]  #: per layer: W_x (G*H_n, K), cell = (W, b, p)
    W_y: tuple[np.ndarray, ...]  #: (K, H_n) each
    b_y: np.ndarray  #: (K,)
    dh0: tuple[np.ndarray, ...]  #: (B, H_n) each
    dc0: tuple[np.ndarray, ...]  #: (B, H_n) each


def _resolve_path(path, config) -> str:
    """"plain" or "fused": "auto" is fused exactly for the core cell."""
    _v.check_option("path", path, PATHS)
    core = config == LSTMConfig()
    if path == "fused" and not core:
        raise ValueError(f"path: 'fused' runs only the core cell LSTMConfig(), got "
                         f"config {config!r} ({config.describe()}); use path='plain' "
                         "or 'auto'")
    if path == "auto":
        return "fused" if core else "plain"
    return path


def _initial(name, given, sizes, B, dtype) -> tuple:
    """The N initial states (B, H_n): zeros, or the caller's (checked)."""
    if given is None:
        return tuple(np.zeros((B, H), dtype) for H in sizes)
    if not isinstance(given, (tuple, list)) or len(given) != len(sizes):
        is_seq = isinstance(given, (tuple, list))
        got = len(given) if is_seq else type(given).__name__
        raise ValueError(f"{name}: expected a tuple of N = {len(sizes)} arrays "
                         f"(B, H_n), one per layer, or None; got {got}")
    for n, (a, H) in enumerate(zip(given, sizes)):
        _v.check_float(f"{name}[{n}]", a)
        _v.check_finite(f"{name}[{n}]", a)
        if a.dtype != dtype:
            raise TypeError(f"{name}[{n}]: expected dtype {dtype} (the dtype of "
                            f"params), got {a.dtype}")
        _v.check_shapes((f"{name}[{n}]", a, "B H"), sizes={"B": B, "H": H})
    return tuple(given)


def _layer_forward(path, u, h0, c0, layer, config, a_in):
    """One layer over the whole sequence: ``(h, cache, work)``."""
    if path == "plain":
        h, _, cache = family_forward(u, h0, c0, layer.cell, config, a_in=a_in)
        return h, cache, None
    T, B, D = u.shape
    work = fused_workspace(T, B, D, h0.shape[1], dtype=u.dtype)
    h, _, cache = fused_lstm_forward(u, h0, c0, layer.cell.W, layer.cell.b, a_in=a_in,
                                     work=work)
    return h, cache, work


def _layer_backward(path, dh, cache, work) -> FamilySeqGrads:
    """One layer's BPTT; the fused path's results copied out of its workspace."""
    if path == "plain":
        return family_backward(dh, cache)
    g = fused_lstm_backward(dh, cache, work=work)
    return FamilySeqGrads(dx=g.dx, dh0=g.dh0.copy(), dc0=g.dc0.copy(), dW=g.dW.copy(),
                          db=g.db.copy(), dp=None, da=work.da)


def stack_forward(symbols, params: StackParams, config: LSTMConfig, *, h0=None, c0=None,
                  path: str = "auto"):
    r"""Forward pass of the stacked LSTM language model: the logits of every step.

    Equations
    ---------
    For layers :math:`n = 1, \dots, N` (bottom up) and steps :math:`t = 1, \dots, T`:

    .. math::

        a^n_t &= W^n [h^n_{t-1}; h^{n-1}_t] + W_x^n[:, x_t] + b^n \\
        a^1_t &= W^1 h^1_{t-1} + W_x^1[:, x_t] + b^1
        \qquad (\text{layer 1: no layer below}) \\
        (h^n_t, c^n_t) &= \text{the cell of } \texttt{config}
        \text{ on } a^n_t,\ c^n_{t-1} \\
        v_t &= b_y + \sum_{n=1}^N W_y^n h^n_t

    :math:`W_x^n[:, x_t]` is :math:`W_x^n` times the one-hot vector of
    :math:`x_t`, taken as a column (a gather; no one-hot array is built).

    Parameters
    ----------
    symbols : ndarray of int, shape (T, B)
        Input symbols :math:`x_1, \dots, x_T`, values in [0, K).
    params : StackParams
    config : LSTMConfig
        The cell of every layer.
    h0, c0 : tuple of N ndarrays (B, H_n), optional
        Initial states (default zeros).
    path : {"auto", "plain", "fused"}
        "plain": :func:`~lstm_ref.family.sequence.family_forward` per layer;
        "fused": :func:`~lstm_ref.fused.fused_lstm_forward` per layer (only for
        ``LSTMConfig()``); "auto": fused when the config allows it.

    Returns
    -------
    logits : ndarray, shape (T, B, K)
        :math:`v_t` for every step.
    cache : StackCache
    """
    K, sizes = check_stack_params(params, config)
    check_symbols("symbols", symbols, K, "T B")
    path = _resolve_path(path, config)
    T, B = symbols.shape
    dtype = params.b_y.dtype
    h0 = _initial("h0", h0, sizes, B, dtype)
    c0 = _initial("c0", c0, sizes, B, dtype)
    u = np.zeros((T, B, 0), dtype)  # layer 1's dense input: none (D_1 = 0)
    hs, caches, works = [], [], []
    for n, layer in enumerate(params.layers):  # bottom up
        a_in = layer.W_x.T[symbols]  # (T, B, G*H_n): column x_t of W_x^n, a gather
        h, cache, work = _layer_forward(path, u, h0[n], c0[n], layer, config, a_in)
        hs.append(h)
        caches.append(cache)
        works.append(work)
        u = h  # layer n+1's dense input is h^n_t, at the same step
    logits = params.b_y + sum(h @ W_y.T for h, W_y in zip(hs, params.W_y))  # (T, B, K)
    cache = StackCache(config=config, params=params, symbols=symbols, h=tuple(hs),
                       layers=tuple(caches), work=tuple(works), path=path)
    return logits, cache


def stack_final_state(cache: StackCache) -> tuple[tuple, tuple]:
    r"""The state every layer ends in, :math:`(h^n_T, c^n_T)`: where the next window starts.

    Equations
    ---------
    .. math::

        h^n_T = \texttt{cache.h[n][-1]}, \qquad
        c^n_T = \text{the cell state of layer } n \text{ after step } T

    Passing them as ``h0``, ``c0`` of the next :func:`stack_forward` continues the
    sequence exactly as if both windows had been one (truncated BPTT carries the
    state this way; the gradient does not follow it).

    Parameters
    ----------
    cache : StackCache
        From :func:`stack_forward`, either path.

    Returns
    -------
    h_T, c_T : tuple of N ndarrays (B, H_n)
        Copies (the fused path's arrays live in its workspace).
    """
    _v.check_type("cache", cache, StackCache)
    if cache.path == "plain":  # FamilySeqCache: step T's cache holds c_T
        c_T = tuple(layer.steps[-1].c.copy() for layer in cache.layers)
    else:  # FusedCache: c_all holds c_0 .. c_T
        c_T = tuple(layer.c_all[-1].copy() for layer in cache.layers)
    h_T = tuple(h[-1].copy() for h in cache.h)
    return h_T, c_T


def stack_backward(dlogits, cache: StackCache) -> StackGrads:
    r"""Backward pass of :func:`stack_forward`, from the top layer down.

    Equations
    ---------
    With :math:`\delta v_t = \partial J/\partial v_t` (``dlogits``), for
    :math:`n = N, \dots, 1`:

    .. math::

        \delta W_y^n &= \sum_t \delta v_t\, h^{n\top}_t, \qquad
        \delta b_y = \sum_t \delta v_t \\
        \frac{\partial J}{\partial h^n_t}\Big|_{\text{upstream}}
        &= W_y^{n\top} \delta v_t
        + \underbrace{\big(W^{n+1}_{\cdot, h^n}\big)^\top \delta a^{n+1}_t}
        _{\text{layer } n+1\text{'s } \delta x_t,\ \text{same step } t} \\
        \delta W_x^n[:, k] &= \sum_{t:\, x_t = k} \delta a^n_t

    then the layer's BPTT (:func:`~lstm_ref.family.sequence.family_backward`)
    with that upstream gives :math:`\delta W^n, \delta b^n, \delta p^n`,
    :math:`\delta h^n_0, \delta c^n_0`, every :math:`\delta a^n_t`, and
    :math:`\delta x_t`, the upstream of layer n-1 (the top layer gets none).
    Sums over t include the batch rows.

    Parameters
    ----------
    dlogits : ndarray, shape (T, B, K)
        :math:`\partial J/\partial v_t` for every step.
    cache : StackCache

    Returns
    -------
    StackGrads
        ``layers[n]`` = StackLayer(W_x (G*H_n, K), cell = FamilyParams(W, b, p)),
        ``W_y[n]`` (K, H_n), ``b_y`` (K,), ``dh0[n]``, ``dc0[n]`` (B, H_n).
    """
    _v.check_type("cache", cache, StackCache)
    params, symbols = cache.params, cache.symbols
    T, B = symbols.shape
    K = params.b_y.shape[0]
    _v.check_floats(dlogits=dlogits)
    _v.check_same_dtype(cache=params.b_y, dlogits=dlogits)
    _v.check_shapes(("dlogits", dlogits, "T B K"), sizes={"T": T, "B": B, "K": K})
    N = len(params.layers)
    dv = dlogits.reshape(T * B, K)  # (T*B, K) rows of every step
    db_y = dlogits.sum(axis=(0, 1))  # (K,) b_y feeds every v_t
    layers, dW_y, dh0, dc0 = [None] * N, [None] * N, [None] * N, [None] * N
    dh_above = None  # the top layer's h feeds only the logits
    for n in reversed(range(N)):  # top down
        h, W_y, W_x = cache.h[n], params.W_y[n], params.layers[n].W_x
        dW_y[n] = dv.T @ h.reshape(T * B, -1)  # (K, H_n) sum_t dv_t h^n_t^T
        dh = dlogits @ W_y  # (T, B, H_n) the output layer's W_y^n^T dv_t
        if dh_above is not None:
            dh = dh + dh_above  # (T, B, H_n) + layer n+1's dx: h^n_t -> a^{n+1}_t
        g = _layer_backward(cache.path, dh, cache.layers[n], cache.work[n])
        dW_x = np.zeros_like(W_x)  # (G*H_n, K)
        np.add.at(dW_x.T, symbols, g.da)  # column x_t of dW_x^n gets da^n_t
        layers[n] = StackLayer(W_x=dW_x, cell=FamilyParams(W=g.dW, b=g.db, p=g.dp))
        dh0[n], dc0[n] = g.dh0, g.dc0
        dh_above = g.dx  # (T, B, H_{n-1}) layer n-1's upstream (layer 1: width 0)
    return StackGrads(layers=tuple(layers), W_y=tuple(dW_y), b_y=db_y, dh0=tuple(dh0),
                      dc0=tuple(dc0))


def stack_loss(symbols, params: StackParams, config: LSTMConfig, *, h0=None, c0=None,
               path: str = "auto"):
    r"""Next-symbol negative log-likelihood of a batch of sequences, with its gradients.

    Equations
    ---------
    .. math::

        J &= -\sum_{t=1}^{T} \sum_{\text{rows}}
             \log \operatorname{softmax}(v_t)_{x_{t+1}} \\
        \delta v_t &= \operatorname{softmax}(v_t) - e_{x_{t+1}}

    (source 001, eqs. 13-14, summed over the batch), :math:`v_t` from
    :func:`stack_forward` on :math:`x_1, \dots, x_T`.

    Parameters
    ----------
    symbols : ndarray of int, shape (T+1, B)
        :math:`x_1, \dots, x_{T+1}`: inputs ``symbols[:-1]``, targets ``symbols[1:]``.
    params : StackParams
    config : LSTMConfig
    h0, c0 : tuple of N ndarrays (B, H_n), optional
    path : {"auto", "plain", "fused"}
        See :func:`stack_forward`.

    Returns
    -------
    J : float
    grads : StackGrads
    """
    K, _ = check_stack_params(params, config)
    check_symbols("symbols", symbols, K, "T+1 B", at_least=2)
    logits, cache = stack_forward(symbols[:-1], params, config, h0=h0, c0=c0, path=path)
    J, dlogits = softmax_cross_entropy(logits, symbols[1:])  # (T, B, K)
    return J, stack_backward(dlogits, cache)
