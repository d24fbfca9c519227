"""The LSTM family (lstm_ref.family): one config, one initialiser, one step pair, one loop.

Oracles: finite differences (every input and parameter, every config, odd
shapes) and the core cell (LSTMConfig() must be source 000's cell exactly).
The symbolic side is tested in test_verify_family.py.
"""

import itertools

import numpy as np
import pytest

import lstm_ref as L
from lstm_ref.gradcheck import gradcheck

CONFIGS = [L.LSTMConfig(peephole=p, forget_gate=fg)
           for p, fg in itertools.product(L.PEEPHOLES, (True, False))]
IDS = [c.describe() for c in CONFIGS]
# (T, B, D, H): generic, T = 1, B = 1, D != H, long T
SHAPES = [(3, 2, 4, 3), (1, 3, 2, 4), (4, 1, 3, 2), (50, 1, 2, 3)]


def make(config, T, B, D, H, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    params = L.init_family_params(config, D, H, rng, scale=0.9, dtype=dtype)
    arrays = dict(x=rng.standard_normal((T, B, D)), h0=rng.standard_normal((B, H)),
                  c0=rng.standard_normal((B, H)), W=params.W,
                  b=params.b + 0.3 * rng.standard_normal(params.b.shape))
    if params.p is not None:
        arrays["p"] = params.p
    return rng, {k: v.astype(dtype) for k, v in arrays.items()}


def as_params(arrays):
    return L.FamilyParams(arrays["W"], arrays["b"], arrays.get("p"))


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_sequence_gradcheck_every_config(config, T, B, D, H):
    rng, arrays = make(config, T, B, D, H)
    U = rng.standard_normal((T, B, H))      # J = Σ U ⊙ h + U_hT ⊙ h_T + U_cT ⊙ c_T
    U_hT, U_cT = rng.standard_normal((2, B, H))

    def J(x, h0, c0, W, b, p=None):
        h, c, _ = L.family_forward(x, h0, c0, L.FamilyParams(W, b, p), config)
        return float((U * h).sum() + (U_hT * h[-1]).sum() + (U_cT * c[-1]).sum())

    h, c, cache = L.family_forward(arrays["x"], arrays["h0"], arrays["c0"], as_params(arrays),
                                   config)
    assert h.shape == c.shape == (T, B, H)
    g = L.family_backward(U, cache, dh_T=U_hT, dc_T=U_cT)
    analytic = dict(x=g.dx, h0=g.dh0, c0=g.dc0, W=g.dW, b=g.db)
    if config.peephole != "none":
        analytic["p"] = g.dp
    else:
        assert g.dp is None
    for name, d in analytic.items():
        assert d.shape == arrays[name].shape, name
    report = gradcheck(J, arrays, analytic, tol=1e-7)
    report.assert_ok()


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_step_equals_sequence_of_one(config):
    rng, a = make(config, 1, 2, 3, 2, seed=3)
    h, c, cache = L.family_forward(a["x"], a["h0"], a["c0"], as_params(a), config)
    hs, cs, step = L.family_step_forward(a["x"][0], a["h0"], a["c0"], as_params(a), config)
    np.testing.assert_array_equal(h[0], hs)
    np.testing.assert_array_equal(c[0], cs)
    dh, dc = rng.standard_normal((2, 2, 2))
    g = L.family_backward(dh[None], cache, dc_T=dc)
    s = L.family_step_backward(dh, dc, step)
    for seq_name, step_name in [("dx", "dx"), ("dh0", "dh_prev"), ("dc0", "dc_prev"),
                                ("dW", "dW"), ("db", "db"), ("dp", "dp")]:
        got, want = getattr(g, seq_name), getattr(s, step_name)
        if want is None:
            assert got is None
        else:
            np.testing.assert_allclose(got if seq_name != "dx" else got[0], want, rtol=1e-13)


def test_default_config_is_the_core_cell():
    T, B, D, H = 4, 3, 2, 5
    rng = np.random.default_rng(7)
    core = L.init_lstm_params(D, H, np.random.default_rng(1))
    fam = L.init_family_params(L.LSTMConfig(), D, H, np.random.default_rng(1))
    np.testing.assert_array_equal(core.W, fam.W)
    np.testing.assert_array_equal(core.b, fam.b)
    assert fam.p is None
    x, dh = rng.standard_normal((T, B, D)), rng.standard_normal((T, B, H))
    h0, c0, dcT = rng.standard_normal((3, B, H))
    h1, c1, k1 = L.lstm_forward(x, h0, c0, core.W, core.b)
    h2, c2, k2 = L.family_forward(x, h0, c0, fam, L.LSTMConfig())
    np.testing.assert_allclose(h1, h2, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(c1, c2, rtol=1e-14, atol=1e-15)
    g1 = L.lstm_backward(dh, k1, dc_T=dcT)
    g2 = L.family_backward(dh, k2, dc_T=dcT)
    for name in ("dx", "dh0", "dc0", "dW", "db"):
        np.testing.assert_allclose(getattr(g1, name), getattr(g2, name), rtol=1e-12,
                                   atol=1e-14, err_msg=name)


def test_no_forget_gate_is_the_carousel():
    """Without a forget gate, c_t − c_{t-1} = i ⊙ g, and with zero gradient into the
    gates' pre-activations (saturated input gate) dc_prev = dc exactly."""
    cfg = L.LSTMConfig(forget_gate=False)
    rng, a = make(cfg, 1, 2, 3, 4, seed=5)
    params = as_params(a)
    assert params.W.shape == (12, 7) and params.b.shape == (12,)
    h, c, cache = L.family_step_forward(a["x"][0], a["h0"], a["c0"], params, cfg)
    np.testing.assert_allclose(c - a["c0"], cache.i * cache.g, rtol=1e-14, atol=1e-15)
    assert cache.f is None
    dc_next = rng.standard_normal((2, 4))
    g = L.family_step_backward(np.zeros((2, 4)), dc_next, cache)
    # with dh = 0 the only path into c_{t-1} is the carousel's identity
    np.testing.assert_array_equal(g.dc_prev, dc_next)


@pytest.mark.parametrize("kind", ["diagonal", "full"])
def test_peephole_paths_use_the_right_cell_state(kind):
    """Forward: a_o sees c_t, a_i and a_f see c_{t-1}, checked against the equations."""
    cfg = L.LSTMConfig(peephole=kind)
    rng, a = make(cfg, 1, 2, 3, 2, seed=4)
    params = as_params(a)
    x, h_prev, c_prev = a["x"][0], a["h0"], a["c0"]
    h, c, cache = L.family_step_forward(x, h_prev, c_prev, params, cfg)
    P = L.split_peepholes(params.p, cfg)
    assert set(P) == {"f", "i", "o"}
    pre = np.concatenate([h_prev, x], axis=1) @ params.W.T + params.b
    H = 2
    peek = (lambda p_k, s: p_k * s) if kind == "diagonal" else (lambda p_k, s: s @ p_k.T)
    sig = L.sigmoid
    f = sig(pre[:, :H] + peek(P["f"], c_prev))
    i = sig(pre[:, H:2 * H] + peek(P["i"], c_prev))
    g = np.tanh(pre[:, 3 * H:])
    c_want = f * c_prev + i * g
    o = sig(pre[:, 2 * H:3 * H] + peek(P["o"], c_want))
    np.testing.assert_allclose(c, c_want, rtol=1e-14)
    np.testing.assert_allclose(h, o * np.tanh(c_want), rtol=1e-14)


def test_float32_runs_in_float32():
    cfg = L.LSTMConfig(peephole="full", forget_gate=False)
    rng, a = make(cfg, 3, 2, 3, 2, dtype=np.float32)
    h, c, cache = L.family_forward(a["x"], a["h0"], a["c0"], as_params(a), cfg)
    g = L.family_backward(np.ones((3, 2, 2), np.float32), cache)
    assert h.dtype == c.dtype == g.dW.dtype == g.dp.dtype == np.float32


def test_parameter_shapes_and_counts():
    D, H = 3, 5
    rng = np.random.default_rng(0)
    expect = {("none", True): 4 * H * (H + D + 1), ("none", False): 3 * H * (H + D + 1),
              ("diagonal", True): 4 * H * (H + D + 1) + 3 * H,
              ("diagonal", False): 3 * H * (H + D + 1) + 2 * H,
              ("full", True): 4 * H * (H + D + 1) + 3 * H * H,
              ("full", False): 3 * H * (H + D + 1) + 2 * H * H}
    for cfg in CONFIGS:
        p = L.init_family_params(cfg, D, H, rng)
        n = sum(a.size for a in p if a is not None)
        assert n == expect[cfg.peephole, cfg.forget_gate], cfg
        if cfg.forget_gate:
            np.testing.assert_array_equal(p.b[:H], 1.0)
            np.testing.assert_array_equal(p.b[H:], 0.0)
        else:
            np.testing.assert_array_equal(p.b, 0.0)


# ----------------------------------------------------------------------- bad input

def _core_arrays(config, B=2, D=3, H=2):
    rng, a = make(config, 1, B, D, H)
    return a["x"][0], a["h0"], a["c0"], as_params(a)


def test_unknown_peephole_option():
    with pytest.raises(ValueError, match=r"peephole: unknown option 'diag'; expected one of "
                                         r"'none', 'diagonal', 'full'"):
        L.LSTMConfig(peephole="diag")


def test_forget_gate_must_be_bool():
    with pytest.raises(TypeError, match=r"forget_gate: expected True or False, got 'no'"):
        L.LSTMConfig(forget_gate="no")


def test_peephole_weights_without_peepholes():
    x, h, c, params = _core_arrays(L.LSTMConfig(peephole="diagonal"))
    with pytest.raises(ValueError, match=r"params\.p: config\.peephole is 'none', so expected "
                                         r"no peephole weights \(None\), got \(6,\)"):
        L.family_step_forward(x, h, c, params, L.LSTMConfig())


def test_missing_peephole_weights():
    x, h, c, params = _core_arrays(L.LSTMConfig())
    with pytest.raises(ValueError, match=r"params\.p: config\.peephole is 'full', so expected "
                                         r"peephole weights of shape \(3H, H\), got None"):
        L.family_step_forward(x, h, c, params, L.LSTMConfig(peephole="full"))


def test_diagonal_weights_for_full_peepholes():
    x, h, c, params = _core_arrays(L.LSTMConfig(peephole="diagonal"))
    with pytest.raises(ValueError, match=r"params\.p: expected a 2-D array of shape \(3H, H\)"):
        L.family_step_forward(x, h, c, params, L.LSTMConfig(peephole="full"))


def test_forget_gate_rows_without_forget_gate():
    x, h, c, params = _core_arrays(L.LSTMConfig())
    with pytest.raises(ValueError, match=r"params\.W: expected shape \(3H, H\+D\) = \(6, 5\), "
                                         r"got \(8, 5\).*no forget gate: 3 gate blocks i, o, g"):
        L.family_step_forward(x, h, c, params, L.LSTMConfig(forget_gate=False))


def test_forget_bias_without_forget_gate():
    with pytest.raises(ValueError, match=r"forget_bias: config\.forget_gate is False \(no forget "
                                         r"gate\), so expected no forget_bias, got 1\.0"):
        L.init_family_params(L.LSTMConfig(forget_gate=False), 3, 2, np.random.default_rng(0),
                             forget_bias=1.0)


def test_config_must_be_a_config():
    x, h, c, params = _core_arrays(L.LSTMConfig())
    with pytest.raises(TypeError, match=r"config: expected .*LSTMConfig, got str"):
        L.family_step_forward(x, h, c, params, "diagonal")
    with pytest.raises(TypeError, match=r"params: expected .*FamilyParams, got tuple"):
        L.family_step_forward(x, h, c, tuple(params), L.LSTMConfig())


def test_nan_and_dtype_named():
    x, h, c, params = _core_arrays(L.LSTMConfig(peephole="diagonal"))
    bad = params._replace(p=params.p.astype(np.int64))
    with pytest.raises(TypeError, match=r"params\.p: expected dtype float32 or float64, got int64"):
        L.family_step_forward(x, h, c, bad, L.LSTMConfig(peephole="diagonal"))
    x_nan = x.copy()
    x_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"^x: "):
        L.family_step_forward(x_nan, h, c, params, L.LSTMConfig(peephole="diagonal"))


def test_backward_rejects_a_core_cache_and_bad_upstream():
    cfg = L.LSTMConfig(peephole="full")
    x, h, c, params = _core_arrays(cfg)
    _, _, cache = L.family_step_forward(x, h, c, params, cfg)
    with pytest.raises(ValueError, match=r"dh: expected shape \(B, H\) = \(2, 2\), got \(2, 3\)"):
        L.family_step_backward(np.zeros((2, 3)), np.zeros((2, 2)), cache)
    core_cache = L.lstm_step_forward(x, h, c, params.W, params.b)[2]
    with pytest.raises(TypeError, match=r"cache: expected .*FamilyStepCache, got .*StepCache"):
        L.family_step_backward(np.zeros((2, 2)), np.zeros((2, 2)), core_cache)
    with pytest.raises(ValueError, match=r"cache: expected the caches of T >= 1 steps"):
        L.family_backward(np.zeros((0, 2, 2)), L.FamilySeqCache(steps=()))


def test_split_peepholes_errors():
    with pytest.raises(ValueError, match=r"config: expected a config with peepholes"):
        L.split_peepholes(np.zeros(6), L.LSTMConfig())
    with pytest.raises(ValueError, match=r"p: expected shape \(2H, H\) for peephole='full', "
                                         r"got \(6, 2\)"):
        L.split_peepholes(np.zeros((6, 2)), L.LSTMConfig(peephole="full", forget_gate=False))


# ------------------------------------- a_in (an extra pre-activation term) and D = 0

@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
@pytest.mark.parametrize("D", [0, 2])
def test_a_in_and_no_dense_input_gradcheck(config, D):
    T, B, H = 3, 2, 3
    rng, arrays = make(config, T, B, D, H, seed=D + 1)
    G = len(config.gates)
    arrays["a_in"] = rng.standard_normal((T, B, G * H))
    U = rng.standard_normal((T, B, H))
    U_cT = rng.standard_normal((B, H))

    def J(x, h0, c0, W, b, a_in, p=None):
        h, c, _ = L.family_forward(x, h0, c0, L.FamilyParams(W, b, p), config, a_in=a_in)
        return float((U * h).sum() + (U_cT * c[-1]).sum())

    h, c, cache = L.family_forward(arrays["x"], arrays["h0"], arrays["c0"], as_params(arrays),
                                   config, a_in=arrays["a_in"])
    assert arrays["W"].shape == (G * H, H + D) and h.shape == (T, B, H)
    g = L.family_backward(U, cache, dc_T=U_cT)
    assert g._fields[-1] == "da" and g.da.shape == (T, B, G * H)
    assert g.dx.shape == (T, B, D)
    analytic = dict(h0=g.dh0, c0=g.dc0, W=g.dW, b=g.db, a_in=g.da)
    if D:
        analytic["x"] = g.dx
    if config.peephole != "none":
        analytic["p"] = g.dp
    gradcheck(J, arrays, analytic, tol=1e-7).assert_ok()


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_a_in_is_a_dense_input_through_its_own_weight(config):
    # a_in = e M^T is the same cell with input [x; e] and weight [W | M]: an independent
    # oracle for where a_in enters (every gate block, before the nonlinearities)
    T, B, D, H, E = 2, 3, 2, 3, 4
    rng, a = make(config, T, B, D, H, seed=8)
    G = len(config.gates)
    e, M = rng.standard_normal((T, B, E)), rng.standard_normal((G * H, E))
    h, c, cache = L.family_forward(a["x"], a["h0"], a["c0"], as_params(a), config,
                                   a_in=e @ M.T)
    wide = as_params(a)._replace(W=np.concatenate([a["W"], M], axis=1))
    h2, c2, cache2 = L.family_forward(np.concatenate([a["x"], e], axis=2), a["h0"], a["c0"],
                                      wide, config)
    np.testing.assert_allclose(h, h2, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(c, c2, rtol=1e-13, atol=1e-15)
    dh = rng.standard_normal((T, B, H))
    g, g2 = L.family_backward(dh, cache), L.family_backward(dh, cache2)
    np.testing.assert_allclose(g.da, g2.da, rtol=1e-12, atol=1e-14)
    # the wide cell's input gradient for e is M^T da: da is dJ/da_in
    np.testing.assert_allclose(g2.dx[..., D:], g.da @ M, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g2.dW[:, :H + D], g.dW, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_step_da_equals_sequence_da_and_none_is_zero(config):
    rng, a = make(config, 1, 2, 0, 3, seed=6)
    G = len(config.gates)
    a_in = rng.standard_normal((1, 2, G * 3))
    hs, cs, step = L.family_step_forward(a["x"][0], a["h0"], a["c0"], as_params(a), config,
                                         a_in=a_in[0])
    h, c, seq = L.family_forward(a["x"], a["h0"], a["c0"], as_params(a), config, a_in=a_in)
    np.testing.assert_array_equal(h[0], hs)
    dh, dc = rng.standard_normal((2, 2, 3))
    s = L.family_step_backward(dh, dc, step)
    g = L.family_backward(dh[None], seq, dc_T=dc)
    assert s.dx.shape == (2, 0) and s.da.shape == (2, G * 3)
    np.testing.assert_allclose(g.da[0], s.da, rtol=1e-13)
    # a_in of zeros is a_in=None
    h0_, c0_, _ = L.family_forward(a["x"], a["h0"], a["c0"], as_params(a), config,
                                   a_in=np.zeros_like(a_in))
    h1_, c1_, _ = L.family_forward(a["x"], a["h0"], a["c0"], as_params(a), config)
    np.testing.assert_array_equal(h0_, h1_)
    np.testing.assert_array_equal(c0_, c1_)


def test_no_dense_input_params_and_bad_a_in():
    cfg = L.LSTMConfig(peephole="diagonal")
    p = L.init_family_params(cfg, 0, 3, np.random.default_rng(0))
    assert p.W.shape == (12, 3)
    with pytest.raises(ValueError, match=r"D: expected an integer >= 0 \(0: no dense input\), "
                                         r"got -1"):
        L.init_family_params(cfg, -1, 3, np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"D: expected an integer >= 0, got float"):
        L.init_family_params(cfg, 2.0, 3, np.random.default_rng(0))
    x, h, c = np.zeros((2, 0)), np.zeros((2, 3)), np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"a_in: expected shape \(B, 4H\) = \(2, 12\), "
                                         r"got \(2, 9\)"):
        L.family_step_forward(x, h, c, p, cfg, a_in=np.zeros((2, 9)))
    with pytest.raises(ValueError, match=r"a_in: expected shape \(T, B, 4H\) = \(1, 2, 12\), "
                                         r"got \(2, 2, 12\)"):
        L.family_forward(x[None], h, c, p, cfg, a_in=np.zeros((2, 2, 12)))
    with pytest.raises(TypeError, match=r"a_in: expected dtype float64 \(the dtype of x\), "
                                        r"got float32"):
        L.family_step_forward(x, h, c, p, cfg, a_in=np.zeros((2, 12), np.float32))
    # a dense input that does not fit W is named (D = 2 from x, W has no input columns)
    with pytest.raises(ValueError, match=r"params\.W: expected shape \(4H, H\+D\) = \(12, 5\), "
                                         r"got \(12, 3\)"):
        L.family_step_forward(np.zeros((2, 2)), h, c, p, cfg)


def _frozen_h_loss(arrays, config, dh, h_seen):
    """J = sum(dh * h) when step t reads h_{t-1} from h_seen (held fixed) and c flows on."""
    params = as_params(arrays)
    h_t, c_t = arrays["h0"], arrays["c0"]
    J = 0.0
    for t, x_t in enumerate(arrays["x"]):
        h_in = arrays["h0"] if t == 0 else h_seen[t - 1]  # h_{t-1} as a constant
        h_t, c_t, _ = L.family_step_forward(x_t, h_in, c_t, params, config)
        J += np.sum(dh[t] * h_t)
    return J


@pytest.mark.parametrize("config", [CONFIGS[0], CONFIGS[1]], ids=IDS[:2])
def test_truncated_gradient_is_the_gradient_with_h_prev_held_fixed(config):
    # Oracle: finite differences of a forward pass in which h_{t-1} is a constant
    # (its values from the unperturbed run) while the carousel c is recomputed.
    rng, arrays = make(config, 4, 2, 3, 2, seed=3)
    dh = rng.standard_normal((4, 2, 2))
    h, _, cache = L.family_forward(arrays["x"], arrays["h0"], arrays["c0"], as_params(arrays),
                                   config)
    grads = L.family_backward(dh, cache, truncate=True)
    assert np.all(grads.dh0 == 0)
    for name, mine in (("W", grads.dW), ("b", grads.db), ("c0", grads.dc0)):
        p = arrays[name]
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + 1e-6
            up = _frozen_h_loss(arrays, config, dh, h)
            p[idx] = old - 1e-6
            down = _frozen_h_loss(arrays, config, dh, h)
            p[idx] = old
            numeric[idx] = (up - down) / 2e-6
        assert L.max_rel_error(mine, numeric) < 1e-7, name
    full = L.family_backward(dh, cache)
    assert not np.allclose(full.dW, grads.dW)  # the recurrent path did carry error


def test_truncated_equals_full_for_one_step_and_must_be_bool():
    config = L.LSTMConfig(forget_gate=False)
    rng, arrays = make(config, 1, 3, 2, 4, seed=4)
    _, _, cache = L.family_forward(arrays["x"], arrays["h0"], arrays["c0"], as_params(arrays),
                                   config)
    dh = rng.standard_normal((1, 3, 4))
    full, cut = L.family_backward(dh, cache), L.family_backward(dh, cache, truncate=True)
    assert np.array_equal(full.dW, cut.dW) and np.array_equal(full.dc0, cut.dc0)
    with pytest.raises(TypeError, match=r"truncate: expected True or False, got 'yes'"):
        L.family_backward(dh, cache, truncate="yes")
