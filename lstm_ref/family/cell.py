r"""One step of any cell of the LSTM family, forward and backward.

The same pure pair as :mod:`lstm_ref.cell`, with the configuration's two
switches written out where they act::

    h, c, cache = family_step_forward(x, h_prev, c_prev, params, config, a_in=None)
    dx, dh_prev, dc_prev, dW, db, dp, da = family_step_backward(dh, dc_next, cache)

The peepholes add paths into the cell state: the output gate's at the same
step (:math:`c_t \to a_o`), and the input and forget gates' at the next step
(:math:`c_{t-1} \to a_i, a_f`), which the backward step sends into
``dc_prev``.

``a_in`` is an extra term added to every pre-activation (a stacked model's
one-hot input, :math:`W_x[:, x_t]`, enters this way, as a column gather); the
backward step returns its gradient ``da``, the pre-activation gradient. The
dense input may have width D = 0 (``x`` of shape (B, 0), ``W`` of shape
(G*H, H)).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _validate as _v
from ..activations import _sigmoid, _tanh
from .config import (
    FamilyParams,
    LSTMConfig,
    check_family_params,
    split_peepholes,
)

__all__ = ["FamilyStepCache", "FamilyStepGrads", "family_step_forward",
           "family_step_backward", "peephole", "peephole_back"]


class FamilyStepCache(NamedTuple):
    """What :func:`family_step_backward` needs: the config and the activations."""

    config: LSTMConfig  #: which cell
    z: np.ndarray  #: (B, H+D) stacked input [h_prev, x]
    f: np.ndarray | None  #: (B, H) forget gate (None without one)
    i: np.ndarray  #: (B, H) input gate
    o: np.ndarray  #: (B, H) output gate
    g: np.ndarray  #: (B, H) candidate
    c_prev: np.ndarray  #: (B, H) previous cell state
    c: np.ndarray  #: (B, H) new cell state (the output gate's peephole input)
    tanh_c: np.ndarray  #: (B, H) tanh of the new cell state
    params: FamilyParams  #: W (G*H, H+D), b (G*H,), p


class FamilyStepGrads(NamedTuple):
    r"""Gradients of one step's inputs; ``dp`` is None for a cell without peepholes.

    ``da`` is the gradient of the pre-activations a (all gate blocks, peephole
    terms included), which is also :math:`\partial J/\partial a^{in}`.
    """

    dx: np.ndarray  #: (B, D)
    dh_prev: np.ndarray  #: (B, H)
    dc_prev: np.ndarray  #: (B, H)
    dW: np.ndarray  #: (G*H, H+D) this step's contribution
    db: np.ndarray  #: (G*H,) this step's contribution
    dp: np.ndarray | None  #: (P*H,) or (P*H, H) this step's contribution
    da: np.ndarray  #: (B, G*H) pre-activation gradient, = dJ/da_in


def peephole(p_k, c, kind: str):
    """The peephole term :math:`P_k c` for a batch of rows c (B, H).

    Diagonal: ``p_k * c`` (p_k of shape (H,)); full: ``c @ p_k.T`` (p_k (H, H)).
    """
    return p_k * c if kind == "diagonal" else c @ p_k.T


def peephole_back(p_k, da_k, kind: str):
    """The peephole path back into the cell state, :math:`P_k^\\top \\delta a_k`.

    For a batch of rows da_k (B, H). Diagonal: ``da_k * p_k``;
    full: ``da_k @ p_k`` (each row is :math:`(P_k^\\top \\delta a_k)^\\top`).
    """
    return da_k * p_k if kind == "diagonal" else da_k @ p_k


def family_step_forward(x, h_prev, c_prev, params: FamilyParams, config: LSTMConfig, *,
                        a_in=None):
    r"""One step of the cell ``config`` describes, on a batch of rows.

    Equations
    ---------
    .. math::

        a_t &= W [h_{t-1}; x_t] + b + a^{in}_t \\
        f_t &= \sigma(a_f + P_f c_{t-1}), \quad i_t = \sigma(a_i + P_i c_{t-1}),
        \quad g_t = \tanh(a_g) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t
        \qquad (\text{no forget gate: } c_t = c_{t-1} + i_t \odot g_t) \\
        o_t &= \sigma(a_o + P_o c_t), \quad h_t = o_t \odot \tanh(c_t)

    with :math:`P_k c = p_k \odot c` (diagonal), :math:`P_k c` (full), or no
    term (no peepholes); :math:`a^{in}_t = 0` unless ``a_in`` is given.

    Parameters
    ----------
    x : ndarray, shape (B, D)
        Dense input; D = 0 (shape (B, 0)) for a cell without one.
    h_prev, c_prev : ndarray, shape (B, H)
    params : FamilyParams
        ``W`` (G*H, H+D), ``b`` (G*H,), ``p`` None / (P*H,) / (P*H, H).
    config : LSTMConfig
    a_in : ndarray, shape (B, G*H), optional
        A term added to every pre-activation (gate blocks in ``config.gates``
        order), e.g. the column :math:`W_x[:, x_t]` of a one-hot input's weight.

    Returns
    -------
    h, c : ndarray, shape (B, H)
    cache : FamilyStepCache
    """
    _v.check_type("config", config, LSTMConfig)
    extra = {} if a_in is None else {"a_in": a_in}
    _v.check_floats(x=x, h_prev=h_prev, c_prev=c_prev, **extra)
    sizes = _v.check_shapes(("x", x, "B D"), ("h_prev", h_prev, "B H"),
                            ("c_prev", c_prev, "B H"), sizes=_v.empty_input_sizes(x, "B D"))
    check_family_params(params, config, sizes["H"], sizes["D"])
    _v.check_same_dtype(x=x, h_prev=h_prev, c_prev=c_prev, **{"params.W": params.W})
    G = len(config.gates)
    if a_in is not None:
        _v.check_shapes(("a_in", a_in, f"B {G}H"), sizes=sizes)
    return _step_forward(x, h_prev, c_prev, params, config, a_in)


def _step_forward(x, h_prev, c_prev, params: FamilyParams, config: LSTMConfig, a_in):
    """:func:`family_step_forward` on arguments already checked (the loops check once)."""
    W, b, p = params
    H = h_prev.shape[1]
    z = np.concatenate([h_prev, x], axis=1)  # (B, H+D), h first as in the core
    a_all = z @ W.T + b  # (B, G*H)
    if a_in is not None:
        a_all = a_all + a_in  # (B, G*H) the extra term, e.g. W_x[:, x_t]
    a = {k: a_all[:, j * H:(j + 1) * H] for j, k in enumerate(config.gates)}
    kind = config.peephole
    P = split_peepholes(p, config) if kind != "none" else {}
    if "f" in P:  # the forget gate sees c_{t-1}
        a["f"] = a["f"] + peephole(P["f"], c_prev, kind)
    if "i" in P:  # the input gate sees c_{t-1}
        a["i"] = a["i"] + peephole(P["i"], c_prev, kind)
    f = _sigmoid(a["f"]) if config.forget_gate else None  # forget gate
    i = _sigmoid(a["i"])  # input gate
    g = _tanh(a["g"])  # candidate
    c = (f * c_prev if config.forget_gate else c_prev) + i * g  # new cell state
    if "o" in P:  # the output gate sees c_t
        a["o"] = a["o"] + peephole(P["o"], c, kind)
    o = _sigmoid(a["o"])  # output gate
    tanh_c = _tanh(c)
    h = o * tanh_c  # new hidden state
    cache = FamilyStepCache(config=config, z=z, f=f, i=i, o=o, g=g, c_prev=c_prev, c=c,
                            tanh_c=tanh_c, params=params)
    return h, c, cache


def family_step_backward(dh, dc_next, cache: FamilyStepCache) -> FamilyStepGrads:
    r"""Backward pass of one family step.

    ``dh`` is the total :math:`\partial J/\partial h_t` (output layer plus
    ``dh_next``); ``dc_next`` is :math:`\partial J/\partial c_t` from step t+1,
    *including* the paths through step t+1's peepholes (what step t+1's
    backward returned as ``dc_prev``).

    Equations
    ---------
    .. math::

        \delta a_o &= \delta h_t \odot \tanh(c_t) \odot o_t (1 - o_t) \\
        \delta c_t &= \delta h_t \odot o_t \odot (1 - \tanh^2 c_t)
                     + \delta c_{\text{next}} + P_o^\top \delta a_o \\
        \delta a_g &= \delta c_t \odot i_t \odot (1 - g_t^2), \quad
        \delta a_i = \delta c_t \odot g_t \odot i_t (1 - i_t) \\
        \delta a_f &= \delta c_t \odot c_{t-1} \odot f_t (1 - f_t) \\
        \delta c_{t-1} &= \delta c_t \odot f_t + P_f^\top \delta a_f
                        + P_i^\top \delta a_i \\
        \delta a &= [\delta a_f; \delta a_i; \delta a_o; \delta a_g]
                   = \partial J / \partial a^{in}_t \\
        \delta W &= \delta a\, z_t^\top, \quad \delta b = \delta a, \quad
        \delta P_k = \delta a_k\, c^\top \ (\text{diagonal: } \delta a_k \odot c)

    (without a forget gate :math:`\delta c_{t-1} = \delta c_t + P_i^\top \delta a_i`;
    :math:`c` is :math:`c_{t-1}` for f, i and :math:`c_t` for o).

    Parameters
    ----------
    dh, dc_next : ndarray, shape (B, H)
    cache : FamilyStepCache

    Returns
    -------
    FamilyStepGrads
        ``dx`` (B, D), ``dh_prev``, ``dc_prev`` (B, H), ``dW`` (G*H, H+D),
        ``db`` (G*H,), ``dp`` None / (P*H,) / (P*H, H), ``da`` (B, G*H)
        (:math:`\delta a = \partial J/\partial a^{in}`).
    """
    _v.check_type("cache", cache, FamilyStepCache)
    config, z, f, i, o, g, c_prev, c, tanh_c, params = cache
    _v.check_floats(dh=dh, dc_next=dc_next)
    _v.check_same_dtype(cache=z, dh=dh, dc_next=dc_next)
    _v.check_shapes(("dh", dh, "B H"), ("dc_next", dc_next, "B H"),
                    sizes={"B": i.shape[0], "H": i.shape[1]})
    return _step_backward(dh, dc_next, cache)


def _step_backward(dh, dc_next, cache: FamilyStepCache) -> FamilyStepGrads:
    """:func:`family_step_backward` on arguments already checked (the loops check once)."""
    config, z, f, i, o, g, c_prev, c, tanh_c, params = cache
    H = i.shape[1]
    kind = config.peephole
    P = split_peepholes(params.p, config) if kind != "none" else {}

    # Output gate: h = o * tanh(c)  =>  dJ/do = dh * tanh(c); through the sigmoid.
    da_o = dh * tanh_c * o * (1 - o)  # (B, H)

    # Cell state: through tanh(c) in h, from step t+1, and (peephole) through a_o.
    dc = dh * o * (1 - tanh_c**2) + dc_next  # (B, H)
    if "o" in P:  # the same step's path c_t -> a_o
        dc = dc + peephole_back(P["o"], da_o, kind)  # (B, H)

    # Candidate and input gate: c = ... + i*g.
    da_g = dc * i * (1 - g**2)  # (B, H)
    da_i = dc * g * i * (1 - i)  # (B, H)

    # Previous cell state: the carousel (times f if there is a forget gate) ...
    dc_prev = dc * f if config.forget_gate else dc  # (B, H)
    da = {"i": da_i, "o": da_o, "g": da_g}
    if config.forget_gate:
        da["f"] = dc * c_prev * f * (1 - f)  # (B, H) forget gate: dJ/df = dc * c_prev
    # ... plus (peepholes) the paths c_{t-1} -> a_f and c_{t-1} -> a_i of this step.
    for k in ("f", "i"):
        if k in P:
            dc_prev = dc_prev + peephole_back(P[k], da[k], kind)  # (B, H)

    # Weights and bias: a = W z + b  =>  dW = da z^T, db = da (summed over rows).
    da_all = np.concatenate([da[k] for k in config.gates], axis=1)  # (B, G*H)
    dW = da_all.T @ z  # (G*H, H+D)
    db = da_all.sum(axis=0)  # (G*H,)
    dz = da_all @ params.W  # (B, H+D)

    # Peephole weights: a_k += P_k c  =>  dP_k = da_k c^T (diagonal: sum of da_k * c).
    dp = None
    if P:
        seen = {k: (c if k == "o" else c_prev) for k in config.peephole_gates}
        if kind == "diagonal":
            blocks = [(da[k] * seen[k]).sum(axis=0) for k in seen]  # (H,) each
        else:
            blocks = [da[k].T @ seen[k] for k in seen]  # (H, H) each
        dp = np.concatenate(blocks)  # (P*H,) or (P*H, H)
    dx, dh_prev = dz[:, H:], dz[:, :H]  # (B, D), (B, H)
    return FamilyStepGrads(dx=dx, dh_prev=dh_prev, dc_prev=dc_prev, dW=dW, db=db, dp=dp,
                           da=da_all)
