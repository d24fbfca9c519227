"""Gradient flow back in time (lstm_ref.flow): the norms against finite differences, the carousel.

The oracle: a forward pass written out here in NumPy with additive taps τ on every
h_t and c_t; ∂J/∂τ at τ = 0 (central differences) is the total ∂J/∂h_t, ∂J/∂c_t.
"""

import numpy as np
import pytest

from lstm_ref.activations import sigmoid
from lstm_ref.family import (
    FamilyParams,
    LSTMConfig,
    family_step_backward,
    family_step_forward,
    init_family_params,
)
from lstm_ref.flow import FLOW_KINDS, FlowResult, gradient_flow, lstm_flow, rnn_flow
from lstm_ref.gradcheck import numerical_gradient
from lstm_ref.rnn import RNNParams, init_rnn_params

CORE, NO_FORGET = LSTMConfig(), LSTMConfig(forget_gate=False)

# (T, B, D, H): generic, T = 1, B = 1, D != H both ways
SHAPES = [(5, 2, 3, 4), (1, 3, 2, 2), (4, 1, 4, 3), (6, 1, 1, 2)]


# ---- the independent forward passes, with taps -------------------------------------


def rnn_loss(x, h0, W, b, u, tau_h):
    """J = Σ_b u · h_T with h_t + τh_t passed on (and into the loss at t = T)."""
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(np.concatenate([h, x[t]], axis=1) @ W.T + b) + tau_h[t]
    return float((h @ u).sum())


def lstm_loss(x, h0, c0, W, b, u, tau_h, tau_c, forget_gate):
    """The same for the LSTM: c_t + τc_t feeds both h_t = o tanh(c_t) and c_{t+1}."""
    H = h0.shape[1]
    h, c = h0, c0
    for t in range(x.shape[0]):
        a = np.concatenate([h, x[t]], axis=1) @ W.T + b
        blocks = [a[:, j * H:(j + 1) * H] for j in range(a.shape[1] // H)]
        if forget_gate:
            a_f, a_i, a_o, a_g = blocks
            c = sigmoid(a_f) * c + sigmoid(a_i) * np.tanh(a_g) + tau_c[t]
        else:
            a_i, a_o, a_g = blocks
            c = c + sigmoid(a_i) * np.tanh(a_g) + tau_c[t]
        h = sigmoid(a_o) * np.tanh(c) + tau_h[t]
    return float((h @ u).sum())


def fd_norms(loss, names, T, B, H, **fixed):
    """‖∂J/∂h_t‖ (and ‖∂J/∂c_t‖) for t = T..1 by central differences on the taps."""
    taps = {k: np.zeros((T, B, H)) for k in names}
    grads = numerical_gradient(lambda **tau: loss(**fixed, **tau), taps)
    # norm per step, reversed: index k = T - t
    return {k: np.linalg.norm(g.reshape(T, -1), axis=1)[::-1] for k, g in grads.items()}


def random_case(T, B, D, H, seed, config=None):
    rng = np.random.default_rng(seed)
    if config is None:
        params = init_rnn_params(D, H, rng, scale=1.5)
    else:
        params = init_family_params(config, D, H, rng, scale=1.0,
                                    forget_bias=0.5 if config.forget_gate else None)
    x = rng.standard_normal((T, B, D))
    h0, c0 = 0.5 * rng.standard_normal((B, H)), rng.standard_normal((B, H))
    u = rng.standard_normal(H)
    return params, x, h0, c0, u


# ---- the norms against finite differences ---------------------------------------------


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_rnn_norms_equal_finite_differences(T, B, D, H):
    params, x, h0, _, u = random_case(T, B, D, H, seed=T + 10 * B + 100 * D + H)
    flow = rnn_flow(x, h0, params, u)
    assert isinstance(flow, FlowResult) and flow.kind == "rnn" and flow.dc_norm is None
    np.testing.assert_array_equal(flow.k, np.arange(T))
    fd = fd_norms(rnn_loss, ["tau_h"], T, B, H, x=x, h0=h0, W=params.W, b=params.b, u=u)
    assert flow.dh_norm.shape == (T,)
    np.testing.assert_allclose(flow.dh_norm, fd["tau_h"], rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("config", [CORE, NO_FORGET], ids=["lstm", "lstm1997"])
@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_lstm_norms_equal_finite_differences(T, B, D, H, config):
    params, x, h0, c0, u = random_case(T, B, D, H, seed=T + 10 * B + 100 * D + H, config=config)
    flow = lstm_flow(x, h0, c0, params, config, u)
    assert flow.kind == ("lstm" if config.forget_gate else "lstm1997")
    fd = fd_norms(lstm_loss, ["tau_h", "tau_c"], T, B, H, x=x, h0=h0, c0=c0, W=params.W,
                  b=params.b, u=u, forget_gate=config.forget_gate)
    assert flow.dh_norm.shape == (T,) and flow.dc_norm.shape == (T,)
    np.testing.assert_allclose(flow.dh_norm, fd["tau_h"], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(flow.dc_norm, fd["tau_c"], rtol=1e-7, atol=1e-10)


# ---- k = 0: the norms that follow from u ------------------------------------------------


@pytest.mark.parametrize("kind", FLOW_KINDS)
@pytest.mark.parametrize("B", [1, 3])
def test_gradient_flow_draws_as_documented_and_starts_from_u(kind, B):
    T, H, D = 7, 4, 2
    flow = gradient_flow(kind, T=T, H=H, D=D, B=B, rng=np.random.default_rng(5),
                         forget_bias=0.5 if kind == "lstm" else 0.0)
    # The documented draws: parameters, then x (T, B, D), then u (H,); h0 = c0 = 0.
    rng = np.random.default_rng(5)
    if kind == "rnn":
        params = init_rnn_params(D, H, rng)
    else:
        config = LSTMConfig(forget_gate=kind == "lstm")
        params = init_family_params(config, D, H, rng,
                                    forget_bias=0.5 if kind == "lstm" else None)
    x, u = rng.standard_normal((T, B, D)), rng.standard_normal(H)
    zeros = np.zeros((B, H))
    if kind == "rnn":
        again = rnn_flow(x, zeros, params, u)
    else:
        again = lstm_flow(x, zeros, zeros, params, config, u)
    assert flow.kind == kind
    for name, a, b in zip(flow._fields[1:], flow[1:], again[1:]):
        np.testing.assert_array_equal(a, b, err_msg=name)
    # k = 0: ∂J/∂h_T = u in every batch row, so its norm is sqrt(B) ‖u‖.
    np.testing.assert_allclose(flow.dh_norm[0], np.sqrt(B) * np.linalg.norm(u), rtol=1e-14)
    if kind != "rnn":
        # ∂J/∂c_T = u ⊙ o_T ⊙ (1 - tanh² c_T): only through h_T = o_T tanh(c_T).
        h, c = zeros, zeros
        for t in range(T):  # the forward pass, written out
            a = np.concatenate([h, x[t]], axis=1) @ params.W.T + params.b
            gates = {k: a[:, j * H:(j + 1) * H] for j, k in enumerate(config.gates)}
            f = sigmoid(gates["f"]) if "f" in gates else 1.0
            c = f * c + sigmoid(gates["i"]) * np.tanh(gates["g"])
            o = sigmoid(gates["o"])
            h = o * np.tanh(c)
        dc_T = u * o * (1 - np.tanh(c) ** 2)  # (B, H)
        np.testing.assert_allclose(flow.dc_norm[0], np.linalg.norm(dc_T), rtol=1e-13)


# ---- the constant error carousel ----------------------------------------------------------


def test_carousel_step_sends_dc_back_undiminished():
    # 1997 cell: c_t = c_{t-1} + i ⊙ g, so the step's dc_prev IS the total ∂J/∂c_t.
    rng = np.random.default_rng(3)
    B, D, H = 2, 3, 4
    for config in (NO_FORGET, CORE):
        params = init_family_params(config, D, H, rng, scale=1.0)
        _, _, cache = family_step_forward(rng.standard_normal((B, D)),
                                          rng.standard_normal((B, H)),
                                          rng.standard_normal((B, H)), params, config)
        dh, dc_next = rng.standard_normal((B, H)), rng.standard_normal((B, H))
        dc_t = dh * cache.o * (1 - cache.tanh_c**2) + dc_next  # total ∂J/∂c_t
        dc_prev = family_step_backward(dh, dc_next, cache).dc_prev
        if config.forget_gate:  # the contrast: the forget gate scales it by f_t < 1
            np.testing.assert_allclose(dc_prev, dc_t * cache.f, rtol=1e-15)
            assert np.all(np.abs(dc_prev) < np.abs(dc_t))
        else:
            np.testing.assert_allclose(dc_prev, dc_t, rtol=1e-15, atol=0)


def _cell_only(config, seed, T=12, B=2, D=3, H=4):
    """W_h = 0: h_{t-1} reaches nothing, so the cell state is the only path back in time."""
    params, x, h0, c0, u = random_case(T, B, D, H, seed=seed, config=config)
    W = params.W.copy()
    W[:, :H] = 0.0
    return lstm_flow(x, h0, c0, FamilyParams(W=W, b=params.b), config, u)


def test_carousel_passes_the_gradient_back_undiminished():
    flow = _cell_only(NO_FORGET, seed=11)
    # ∂c_T/∂c_t = I along the carousel: ‖∂J/∂c_t‖ = ‖∂J/∂c_T‖ for every t ...
    np.testing.assert_allclose(flow.dc_norm, np.full(12, flow.dc_norm[0]), rtol=1e-13)
    assert flow.dc_norm[0] > 0.01
    # ... while h_t (t < T) does not reach J at all.
    assert flow.dh_norm[0] > 0 and not np.any(flow.dh_norm[1:])


def test_forget_gate_shrinks_the_cell_path():
    # The same experiment with a forget gate: every step multiplies by f_t in (0, 1).
    flow = _cell_only(CORE, seed=11)
    assert np.all(np.diff(flow.dc_norm) < 0)
    assert flow.dc_norm[-1] < 0.5 * flow.dc_norm[0]


# ---- vanishing in the RNN, and the forget-gate bias ---------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rnn_with_small_weights_vanishes_geometrically(seed):
    T, B, D, H = 25, 2, 3, 6
    params, x, h0, _, u = random_case(T, B, D, H, seed=seed)
    W = 0.3 * params.W / np.linalg.norm(params.W[:, :H], 2)  # ‖W_h‖₂ = 0.3
    flow = rnn_flow(x, h0, RNNParams(W=W, b=params.b), u)
    # δh_{t-1} = W_hᵀ (δh_t ⊙ (1 - h_t²)) and 0 < 1 - h² <= 1: ‖δh_{T-k}‖ <= 0.3^k ‖δh_T‖.
    bound = 0.3 ** flow.k * np.sqrt(B) * np.linalg.norm(u)
    assert np.all(flow.dh_norm <= bound * (1 + 1e-12))
    assert np.all(np.diff(flow.dh_norm) < 0)


def test_gradient_flow_rnn_vanishes_with_small_weights():
    flow = gradient_flow("rnn", T=30, H=8, D=3, rng=np.random.default_rng(4), scale=0.1)
    assert flow.dh_norm[-1] < 1e-12 * flow.dh_norm[0]
    assert np.all(np.diff(flow.dh_norm) < 0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_large_forget_bias_keeps_the_cell_gradient_alive(seed):
    kw = dict(T=40, H=8, D=3, B=2)
    zero = gradient_flow("lstm", rng=np.random.default_rng(seed), forget_bias=0.0, **kw)
    large = gradient_flow("lstm", rng=np.random.default_rng(seed), forget_bias=3.0, **kw)
    # the same draws: only b_f differs, so ∂J/∂h_T is the same vector
    np.testing.assert_array_equal(zero.dh_norm[0], large.dh_norm[0])
    kept_zero = zero.dc_norm[-1] / zero.dc_norm[0]
    kept_large = large.dc_norm[-1] / large.dc_norm[0]
    # σ(0) = 0.5 halves the cell's gradient every step; σ(3) ≈ 0.95 barely touches it
    assert kept_large > 0.05
    assert kept_large > 1e6 * kept_zero


# ---- purity and validation -----------------------------------------------------------------


def test_flow_functions_do_not_modify_their_inputs():
    for config in (None, CORE):
        params, x, h0, c0, u = random_case(4, 2, 3, 3, seed=9, config=config)
        saved = [a.copy() for a in (*params[:2], x, h0, c0, u)]
        if config is None:
            rnn_flow(x, h0, params, u)
        else:
            lstm_flow(x, h0, c0, params, config, u)
        for a, b in zip((*params[:2], x, h0, c0, u), saved):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(kind="gru"), ValueError,
     r"kind: unknown option 'gru'; expected one of 'rnn', 'lstm', 'lstm1997'"),
    (dict(kind="rnn", forget_bias=1.0), ValueError,
     r"forget_bias: kind 'rnn' has no forget gate, so expected 0.0 \(the default\), got 1.0"),
    (dict(kind="lstm1997", forget_bias=2), ValueError,
     r"forget_bias: kind 'lstm1997' has no forget gate, so expected 0.0"),
    (dict(kind="lstm", forget_bias=float("nan")), ValueError,
     r"forget_bias: expected a finite number, got nan"),
    (dict(kind="lstm", forget_bias="1"), TypeError, r"forget_bias: expected int or float"),
    (dict(kind="lstm", T=0), ValueError, r"T: expected a positive integer, got 0"),
    (dict(kind="rnn", B=1.0), TypeError, r"B: expected a positive integer, got float"),
    (dict(kind="rnn", rng=0), TypeError, r"rng: expected Generator, got int"),
    (dict(kind="lstm", scale=-0.5), ValueError,
     r"scale: expected a positive finite number, got -0.5"),
])
def test_gradient_flow_validation(kwargs, exc, match):
    args = dict(T=3, H=2, D=2, rng=np.random.default_rng(0)) | kwargs
    kind = args.pop("kind")
    with pytest.raises(exc, match=match):
        gradient_flow(kind, **args)


def test_flow_u_and_config_validation():
    params, x, h0, c0, u = random_case(3, 2, 2, 3, seed=0, config=CORE)
    with pytest.raises(ValueError, match=r"u: expected shape \(H,\) = \(3,\), got \(4,\)"):
        lstm_flow(x, h0, c0, params, CORE, np.ones(4))
    with pytest.raises(TypeError, match=r"u: expected dtype float64 \(the dtype of x\)"):
        lstm_flow(x, h0, c0, params, CORE, u.astype(np.float32))
    with pytest.raises(ValueError, match=r"config: expected a cell without peepholes "
                                         r"\(peephole='none'\), got peephole='diagonal'"):
        lstm_flow(x, h0, c0, params, LSTMConfig(peephole="diagonal"), u)
    rnn_params, *_ = random_case(3, 2, 2, 3, seed=0)
    with pytest.raises(TypeError, match=r"params: expected RNNParams, got .*FamilyParams"):
        rnn_flow(x, h0, params, u)
    with pytest.raises(ValueError, match=r"u: expected a 1-D array of shape \(H,\)"):
        rnn_flow(x, h0, rnn_params, u[None, :])
