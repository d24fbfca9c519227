r"""Gradient flow back in time: how ‖∂J/∂h_t‖ and ‖∂J/∂c_t‖ shrink or survive.

A loss at the LAST step only, :math:`J = \sum_b u \cdot h_T^{(b)}` with a fixed
vector u, is backpropagated with the plain loops over the step pairs
(:func:`~lstm_ref.rnn.rnn_step_backward`,
:func:`~lstm_ref.family.cell.family_step_backward`); at every step the TOTAL
gradients of the states are recorded, and their norms are returned indexed by
the distance back in time :math:`k = T - t`::

    flow = gradient_flow("lstm", T=50, H=8, D=3, rng=rng, forget_bias=1.0)
    flow.k, flow.dh_norm, flow.dc_norm          # each of shape (T,)

What the norms show, step by step back in time:

* vanilla RNN: :math:`\delta h_{t-1} = W_h^\top (\delta h_t \odot (1 - h_t^2))`,
  a product of T - t such factors, which vanishes (or explodes) geometrically;
* LSTM: :math:`\delta c_{t-1} = \delta c_t \odot f_t + \dots`: the forget gate
  multiplies the cell's gradient, so a forget bias that opens it
  (:math:`f_t \approx 1`) lets the gradient travel further;
* 1997 LSTM, no forget gate: :math:`c_t = c_{t-1} + i_t \odot g_t`, so
  :math:`\partial c_t / \partial c_{t-1} = I` along the cell: the constant error
  carousel passes :math:`\delta c_t` back undiminished.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as _v
from .family import (
    FamilyParams,
    LSTMConfig,
    family_forward,
    family_step_backward,
    init_family_params,
)
from .rnn import RNNParams, init_rnn_params, rnn_forward, rnn_step_backward

__all__ = ["FLOW_KINDS", "FlowResult", "rnn_flow", "lstm_flow", "gradient_flow"]

#: The models :func:`gradient_flow` compares: vanilla RNN, LSTM, 1997 LSTM (no forget gate).
FLOW_KINDS = ("rnn", "lstm", "lstm1997")


class FlowResult(NamedTuple):
    """Norms of the state gradients, indexed by the distance back in time k = T - t."""

    kind: str  #: "rnn", "lstm" or "lstm1997"
    k: np.ndarray  #: (T,) 0, 1, ..., T-1
    dh_norm: np.ndarray  #: (T,) ‖∂J/∂h_{T-k}‖ over all batch rows (Frobenius)
    dc_norm: np.ndarray | None  #: (T,) ‖∂J/∂c_{T-k}‖; None for the RNN


def _check_u(u, H: int, dtype) -> None:
    _v.check_floats(u=u)
    _v.check_shapes(("u", u, "H"), sizes={"H": H})
    if u.dtype != dtype:
        raise TypeError(f"u: expected dtype {dtype} (the dtype of x), got {u.dtype}")


def rnn_flow(x, h0, params: RNNParams, u) -> FlowResult:
    r"""Norms of :math:`\partial J/\partial h_t` of a vanilla RNN, for a loss at step T.

    Equations
    ---------
    With :math:`J = \sum_b u \cdot h_T^{(b)}`, for :math:`t = T, \dots, 1`:

    .. math::

        \delta h_T &= u \quad (\text{every batch row}) \\
        \delta h_{t-1} &= W_h^\top \big(\delta h_t \odot (1 - h_t^2)\big)

    and the result holds :math:`\lVert \delta h_{T-k} \rVert` for
    :math:`k = 0, \dots, T-1`.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
    h0 : ndarray, shape (B, H)
    params : RNNParams
        ``W`` (H, H+D), ``b`` (H,).
    u : ndarray, shape (H,)
        The loss's weight on :math:`h_T`.

    Returns
    -------
    FlowResult
        ``dh_norm`` (T,), ``dc_norm`` None.
    """
    _v.check_type("params", params, RNNParams)
    h, cache = rnn_forward(x, h0, params.W, params.b)
    T, B, H = h.shape
    _check_u(u, H, x.dtype)
    dh_norm = np.empty(T)  # (T,) indexed by k = T - t
    dh_next = np.zeros((B, H), x.dtype)  # (B, H) nothing arrives from step T+1
    for t in reversed(range(T)):  # code index t is step t+1
        # Total dJ/dh_t: the loss's term (last step only) plus the path from step t+1.
        dh_t = dh_next + u if t == T - 1 else dh_next  # (B, H)
        dh_norm[T - 1 - t] = np.linalg.norm(dh_t)
        dh_next = rnn_step_backward(dh_t, cache.steps[t]).dh_prev  # (B, H) W_h^T da_t
    return FlowResult(kind="rnn", k=np.arange(T), dh_norm=dh_norm, dc_norm=None)


def lstm_flow(x, h0, c0, params: FamilyParams, config: LSTMConfig, u) -> FlowResult:
    r"""Norms of an LSTM's ∂J/∂h_t and ∂J/∂c_t for a loss at the last step T.

    For an LSTM of the family without peepholes (``LSTMConfig()`` or
    ``LSTMConfig(forget_gate=False)``).

    Equations
    ---------
    With :math:`J = \sum_b u \cdot h_T^{(b)}`, for :math:`t = T, \dots, 1`, the
    total gradients are

    .. math::

        \delta h_t &= [t = T]\, u + \delta h_t^{\text{next}} \\
        \delta c_t &= \underbrace{\delta h_t \odot o_t \odot (1 - \tanh^2 c_t)}_{
                     \text{through } h_t} + \underbrace{\delta c_t^{\text{next}}}_{
                     \text{through } c_{t+1}}

    where :math:`\delta h_t^{\text{next}}, \delta c_t^{\text{next}}` are what step
    t+1's backward sends back (:math:`\delta c_t^{\text{next}} = \delta c_{t+1}
    \odot f_{t+1}`, or :math:`\delta c_{t+1}` itself without a forget gate: the
    constant error carousel). The result holds their norms at
    :math:`t = T - k`.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
    h0, c0 : ndarray, shape (B, H)
    params : FamilyParams
        ``W`` (G*H, H+D), ``b`` (G*H,), ``p`` None.
    config : LSTMConfig
        Without peepholes.
    u : ndarray, shape (H,)
        The loss's weight on :math:`h_T`.

    Returns
    -------
    FlowResult
        ``dh_norm`` and ``dc_norm``, each (T,).
    """
    _v.check_type("config", config, LSTMConfig)
    if config.peephole != "none":
        raise ValueError(f"config: expected a cell without peepholes (peephole='none'), "
                         f"got peephole={config.peephole!r}")
    h, _, cache = family_forward(x, h0, c0, params, config)
    T, B, H = h.shape
    _check_u(u, H, x.dtype)
    dh_norm = np.empty(T)  # (T,) indexed by k = T - t
    dc_norm = np.empty(T)  # (T,)
    dh_next = np.zeros((B, H), x.dtype)  # (B, H) nothing arrives from step T+1
    dc_next = np.zeros((B, H), x.dtype)  # (B, H)
    for t in reversed(range(T)):  # code index t is step t+1
        step_cache = cache.steps[t]
        # Total dJ/dh_t: the loss's term (last step only) plus the path from step t+1.
        dh_t = dh_next + u if t == T - 1 else dh_next  # (B, H)
        # Total dJ/dc_t: through h_t = o_t tanh(c_t), plus the path through c_{t+1}.
        o, tanh_c = step_cache.o, step_cache.tanh_c
        dc_t = dh_t * o * (1 - tanh_c**2) + dc_next  # (B, H)
        dh_norm[T - 1 - t] = np.linalg.norm(dh_t)
        dc_norm[T - 1 - t] = np.linalg.norm(dc_t)
        step = family_step_backward(dh_t, dc_next, step_cache)
        dh_next, dc_next = step.dh_prev, step.dc_prev  # (B, H) each, into step t-1
    return FlowResult(kind="lstm" if config.forget_gate else "lstm1997", k=np.arange(T),
                      dh_norm=dh_norm, dc_norm=dc_norm)


def gradient_flow(kind: str, *, T: int, H: int, D: int, B: int = 1, rng: np.random.Generator,
                  forget_bias=0.0, scale=None) -> FlowResult:
    r"""Gradient norms against the distance back in time, for a random model and input.

    Draws, in this order from ``rng``: the parameters
    (:func:`~lstm_ref.rnn.init_rnn_params`, or
    :func:`~lstm_ref.family.config.init_family_params` with ``LSTMConfig()`` for
    ``"lstm"`` and ``LSTMConfig(forget_gate=False)`` for ``"lstm1997"``), the
    inputs ``x`` (T, B, D) and the loss vector ``u`` (H,), both standard
    normal; :math:`h_0 = c_0 = 0`. Then :func:`rnn_flow` or :func:`lstm_flow`.

    Equations
    ---------
    .. math::

        \begin{aligned}
        J &= \sum_b u \cdot h_T^{(b)},\\
        \texttt{dh\_norm}[k] &= \Big\lVert \frac{\partial J}{\partial h_{T-k}} \Big\rVert,
        \quad \texttt{dc\_norm}[k] = \Big\lVert \frac{\partial J}{\partial c_{T-k}} \Big\rVert
        \end{aligned}

    (Frobenius norms over the batch rows; at :math:`k = 0`,
    :math:`\lVert \partial J/\partial h_T \rVert = \sqrt{B}\,\lVert u \rVert`).

    Parameters
    ----------
    kind : {"rnn", "lstm", "lstm1997"}
    T, H, D : int
        Sequence length, hidden size, input size (each >= 1).
    B : int, default 1
        Batch size.
    rng : numpy.random.Generator
    forget_bias : float, default 0.0
        Every entry of the forget gate's bias :math:`b_f` (``"lstm"`` only;
        the other kinds have no forget gate and accept only 0.0).
    scale : float, optional
        Half-width of the uniform weight distribution (default
        :math:`1/\sqrt{H+D}`, the initialisers' default).

    Returns
    -------
    FlowResult
        ``kind``, ``k`` (T,), ``dh_norm`` (T,), ``dc_norm`` (T,) or None for the RNN.
    """
    _v.check_option("kind", kind, FLOW_KINDS)
    for name, n in (("T", T), ("H", H), ("D", D), ("B", B)):
        _v.check_positive(name, n, integer=True)
    _v.check_type("rng", rng, np.random.Generator)
    _v.check_type("forget_bias", forget_bias, (int, float, np.integer, np.floating))
    if isinstance(forget_bias, bool) or not np.isfinite(forget_bias):
        raise ValueError(f"forget_bias: expected a finite number, got {forget_bias!r}")
    if kind != "lstm" and forget_bias != 0:
        raise ValueError(f"forget_bias: kind {kind!r} has no forget gate, so expected 0.0 "
                         f"(the default), got {forget_bias!r}")
    if kind == "rnn":
        params = init_rnn_params(D, H, rng, scale=scale)
    else:
        config = LSTMConfig(forget_gate=(kind == "lstm"))
        fb = float(forget_bias) if kind == "lstm" else None
        params = init_family_params(config, D, H, rng, forget_bias=fb, scale=scale)
    x = rng.standard_normal((T, B, D))
    u = rng.standard_normal(H)
    h0 = np.zeros((B, H))
    if kind == "rnn":
        return rnn_flow(x, h0, params, u)
    return lstm_flow(x, h0, np.zeros((B, H)), params, config, u)
