"""lstm_ref.optim: each update against a step computed by hand, and against a transparent loop.

Oracles, independent of the vectorised code:

* steps on 2-entry arrays whose numbers are written out below (chosen so that every
  root is exact: the expected values are fractions, worked by hand in the comments);
* a transparent loop: one Python float per entry, ``math.sqrt``, the paper's lines;
* lstm_ref's own model: one small step of every optimizer lowers the loss (descent).
"""

import copy
import math
from fractions import Fraction as F

import numpy as np
import pytest

import lstm_ref
from lstm_ref import optim


def arr(*xs):
    return np.array([float(x) for x in xs])


def assert_exact(got, fractions):
    """``got`` equals the hand values to the last bit or two (they are rationals)."""
    want = np.array([float(q) for q in fractions])
    np.testing.assert_allclose(got, want, rtol=4e-16, atol=0)


# ------------------------------------------------------------------ steps by hand

def test_sgd_by_hand():
    params = {"W": arr(1, -2), "b": arr(0.5)}
    grads = {"W": arr(0.5, -0.25), "b": arr(4)}
    new = optim.sgd_step(params, grads, lr=0.5)
    # W: 1 − 0.5·0.5 = 0.75, −2 − 0.5·(−0.25) = −1.875;  b: 0.5 − 0.5·4 = −1.5
    np.testing.assert_array_equal(new["W"], [0.75, -1.875])
    np.testing.assert_array_equal(new["b"], [-1.5])


def test_momentum_two_steps_by_hand():
    params = {"W": arr(1, -2)}
    state = optim.momentum_init(params)
    np.testing.assert_array_equal(state.v["W"], [0, 0])
    g1, g2 = {"W": arr(0.5, -0.25)}, {"W": arr(1, 0.5)}
    p1, s1 = optim.momentum_step(params, g1, state, lr=0.5, beta=0.5)
    # v1 = 0.5·0 + g1 = (0.5, −0.25);  θ1 = θ0 − 0.5 v1 = (0.75, −1.875)
    np.testing.assert_array_equal(s1.v["W"], [0.5, -0.25])
    np.testing.assert_array_equal(p1["W"], [0.75, -1.875])
    p2, s2 = optim.momentum_step(p1, g2, s1, lr=0.5, beta=0.5)
    # v2 = 0.5·(0.5, −0.25) + (1, 0.5) = (1.25, 0.375);  θ2 = (0.75 − 0.625, −1.875 − 0.1875)
    np.testing.assert_array_equal(s2.v["W"], [1.25, 0.375])
    np.testing.assert_array_equal(p2["W"], [0.125, -2.0625])


def test_momentum_with_beta_0_is_sgd():
    rng = np.random.default_rng(0)
    params, grads = {"W": rng.standard_normal((3, 2))}, {"W": rng.standard_normal((3, 2))}
    p, _ = optim.momentum_step(params, grads, optim.momentum_init(params), lr=0.1, beta=0.0)
    np.testing.assert_array_equal(p["W"], optim.sgd_step(params, grads, lr=0.1)["W"])


def test_rmsprop_two_steps_by_hand():
    params = {"W": arr(1, -2)}
    state = optim.rmsprop_init(params)
    g1 = {"W": arr(6, -15)}
    p1, s1 = optim.rmsprop_step(params, g1, state, lr=0.5, rho=0.75, eps=16)
    # E[g²]1 = 0.75·0 + 0.25·(36, 225) = (9, 56.25); + ε = (25, 72.25) = (5², 8.5²)
    # θ1 = (1 − 0.5·6/5, −2 + 0.5·15/8.5) = (2/5, −2 + 15/17) = (2/5, −19/17)
    np.testing.assert_array_equal(s1.ms["W"], [9, 56.25])
    assert_exact(p1["W"], [F(2, 5), F(-19, 17)])
    g2 = {"W": arr(2, 3)}
    p2, s2 = optim.rmsprop_step(p1, g2, s1, lr=0.5, rho=0.75, eps=16)
    # E[g²]2 = 0.75·(9, 56.25) + 0.25·(4, 9) = (7.75, 44.4375); + ε = (23.75, 60.4375)
    # 60.4375 = 967/16 and 23.75 = 95/4 are not squares: θ2 = θ1 − 0.5·g2/√(E[g²]2 + ε)
    np.testing.assert_array_equal(s2.ms["W"], [7.75, 44.4375])
    want = [2 / 5 - 0.5 * 2 / math.sqrt(95 / 4), -19 / 17 - 0.5 * 3 / math.sqrt(967 / 16)]
    np.testing.assert_allclose(p2["W"], want, rtol=1e-15)


def test_rmsprop_has_eps_inside_the_root():
    # a zero gradient entry with E[g²] = 0: the step is 0/√ε, not 0/ε; a tiny entry shows √ε
    params, grads = {"W": arr(0, 0)}, {"W": arr(0, 1e-3)}
    p, _ = optim.rmsprop_step(params, grads, optim.rmsprop_init(params), lr=1, rho=0, eps=1e-6)
    # (1 − ρ) g² = 1e-6; √(1e-6 + 1e-6) = √2·1e-3: the step is 1e-3 / (√2·1e-3) = 1/√2
    np.testing.assert_allclose(p["W"], [0, -1 / math.sqrt(2)], rtol=1e-12)


def test_adam_two_steps_by_hand():
    params = {"W": arr(1, -2)}
    state = optim.adam_init(params)
    assert state.t == 0
    hyper = dict(lr=0.5, beta1=0.5, beta2=0.75, eps=1)
    p1, s1 = optim.adam_step(params, {"W": arr(1, -2)}, state, **hyper)
    # t = 1: m1 = 0.5 g1 = (0.5, −1), v1 = 0.25 g1² = (0.25, 1); m̂1 = m1/0.5 = g1,
    # v̂1 = v1/0.25 = g1², √v̂1 = |g1| = (1, 2);  θ1 = θ0 − 0.5·(1/2, −2/3) = (3/4, −5/3)
    assert s1.t == 1
    np.testing.assert_array_equal(s1.m["W"], [0.5, -1])
    np.testing.assert_array_equal(s1.v["W"], [0.25, 1])
    assert_exact(p1["W"], [F(3, 4), F(-5, 3)])
    p2, s2 = optim.adam_step(p1, {"W": arr(2.5, -5)}, s1, **hyper)
    # t = 2: m2 = 0.5 m1 + 0.5 g2 = (1.5, −3), m̂2 = m2/(1 − 0.25) = (2, −4);
    # v2 = 0.75 v1 + 0.25 g2² = (0.1875 + 1.5625, 0.75 + 6.25) = (1.75, 7),
    # v̂2 = v2/(1 − 0.5625) = (4, 16), √v̂2 = (2, 4);
    # θ2 = θ1 − 0.5·(2/3, −4/5) = (3/4 − 1/3, −5/3 + 2/5) = (5/12, −19/15)
    assert s2.t == 2
    np.testing.assert_array_equal(s2.m["W"], [1.5, -3])
    np.testing.assert_array_equal(s2.v["W"], [1.75, 7])
    assert_exact(p2["W"], [F(5, 12), F(-19, 15)])


def test_adam_first_step_moves_each_entry_by_about_lr():
    # m̂1 = g, v̂1 = g²: the first step is lr·g/(|g| + ε), whatever the scale of g
    rng = np.random.default_rng(1)
    params = {"W": rng.standard_normal((2, 5)), "b": rng.standard_normal(2)}
    grads = {k: 1e-3 * rng.standard_normal(a.shape) for k, a in params.items()}
    p, _ = optim.adam_step(params, grads, optim.adam_init(params), lr=0.01)
    for k in params:
        step = params[k] - p[k]
        np.testing.assert_allclose(step, 0.01 * grads[k] / (np.abs(grads[k]) + 1e-8),
                                   rtol=1e-9)


# ------------------------------------------------------------------ transparent loops

def loop_momentum(theta, gs, lr, beta):
    theta, v = list(theta), [0.0] * len(theta)
    for g in gs:
        for j in range(len(theta)):
            v[j] = beta * v[j] + g[j]
            theta[j] = theta[j] - lr * v[j]
    return theta, v


def loop_rmsprop(theta, gs, lr, rho, eps):
    theta, ms = list(theta), [0.0] * len(theta)
    for g in gs:
        for j in range(len(theta)):
            ms[j] = rho * ms[j] + (1 - rho) * g[j] * g[j]
            theta[j] = theta[j] - lr * g[j] / math.sqrt(ms[j] + eps)
    return theta, ms


def loop_adam(theta, gs, lr, beta1, beta2, eps):
    """Kingma & Ba (2015), Algorithm 1, one float at a time."""
    theta, m, v = list(theta), [0.0] * len(theta), [0.0] * len(theta)
    for t, g in enumerate(gs, start=1):
        for j in range(len(theta)):
            m[j] = beta1 * m[j] + (1 - beta1) * g[j]
            v[j] = beta2 * v[j] + (1 - beta2) * g[j] ** 2
            m_hat = m[j] / (1 - beta1 ** t)
            v_hat = v[j] / (1 - beta2 ** t)
            theta[j] = theta[j] - lr * m_hat / (math.sqrt(v_hat) + eps)
    return theta, m, v


SHAPES = [{"W": (3, 4), "b": (3,)}, {"W": (1, 1)}, {"s": (), "b": (1,), "W": (2, 5)}]
STEPS = 6


def _run(shapes, seed):
    """Random params and STEPS gradients; flat float lists of them for the loops."""
    rng = np.random.default_rng(seed)
    params = {k: rng.standard_normal(s) for k, s in shapes.items()}
    gs = [{k: rng.standard_normal(s) for k, s in shapes.items()} for _ in range(STEPS)]
    flat = lambda d: [float(x) for k in shapes for x in np.ravel(d[k])]  # noqa: E731
    return params, gs, flat


def _unflat(values, shapes):
    out, i = {}, 0
    for k, s in shapes.items():
        n = math.prod(s)
        out[k] = np.array(values[i:i + n]).reshape(s)
        i += n
    return out


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("hyper", [dict(lr=1e-3), dict(lr=0.1, beta1=0.5, beta2=0.9, eps=1e-3),
                                   dict(lr=0.05, beta1=0.0, beta2=0.0, eps=0.1)])
def test_adam_several_steps_equal_a_transparent_loop(shapes, hyper):
    params, gs, flat = _run(shapes, 2)
    full = dict(dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8), **hyper)
    state, p = optim.adam_init(params), params
    for g in gs:
        p, state = optim.adam_step(p, g, state, **hyper)
    theta, m, v = loop_adam(flat(params), [flat(g) for g in gs], **full)
    assert state.t == STEPS
    for k, want in (("theta", theta), ("m", m), ("v", v)):
        got = {"theta": p, "m": state.m, "v": state.v}[k]
        for name, a in _unflat(want, shapes).items():
            assert got[name].shape == shapes[name]
            np.testing.assert_allclose(got[name], a, rtol=1e-12, atol=1e-15, err_msg=k)


@pytest.mark.parametrize("shapes", SHAPES)
def test_momentum_and_rmsprop_several_steps_equal_transparent_loops(shapes):
    params, gs, flat = _run(shapes, 3)
    p, s = params, optim.momentum_init(params)
    for g in gs:
        p, s = optim.momentum_step(p, g, s, lr=0.05, beta=0.8)
    theta, v = loop_momentum(flat(params), [flat(g) for g in gs], 0.05, 0.8)
    for name, a in _unflat(theta, shapes).items():
        np.testing.assert_allclose(p[name], a, rtol=1e-12, atol=1e-15)
    for name, a in _unflat(v, shapes).items():
        np.testing.assert_allclose(s.v[name], a, rtol=1e-12, atol=1e-15)
    p, s = params, optim.rmsprop_init(params)
    for g in gs:
        p, s = optim.rmsprop_step(p, g, s, lr=0.05, rho=0.7, eps=1e-6)
    theta, ms = loop_rmsprop(flat(params), [flat(g) for g in gs], 0.05, 0.7, 1e-6)
    for name, a in _unflat(theta, shapes).items():
        np.testing.assert_allclose(p[name], a, rtol=1e-12, atol=1e-15)
    for name, a in _unflat(ms, shapes).items():
        np.testing.assert_allclose(s.ms[name], a, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ purity

def _all_steps(params, grads):
    """Every public update, as (name, call) pairs returning (params, state or None)."""
    return [
        ("sgd", lambda: (optim.sgd_step(params, grads, lr=0.1), None)),
        ("momentum", lambda: optim.momentum_step(params, grads, optim.momentum_init(params),
                                                 lr=0.1)),
        ("rmsprop", lambda: optim.rmsprop_step(params, grads, optim.rmsprop_init(params),
                                               lr=0.1)),
        ("adam", lambda: optim.adam_step(params, grads, optim.adam_init(params), lr=0.1)),
        ("clip", lambda: (optim.clip_by_global_norm(grads, 0.5)[0], None)),
        ("clip_unchanged", lambda: (optim.clip_by_global_norm(grads, 1e6)[0], None)),
    ]


def _arrays(x):
    if isinstance(x, dict):
        return [a for v in x.values() for a in _arrays(v)]
    if isinstance(x, tuple):
        return [a for v in x for a in _arrays(v)]
    return [x] if isinstance(x, np.ndarray) else []


def test_inputs_unmodified_and_outputs_share_no_memory():
    rng = np.random.default_rng(4)
    params = {"W": rng.standard_normal((4, 3)), "b": rng.standard_normal(4)}
    grads = {"W": rng.standard_normal((4, 3)), "b": rng.standard_normal(4)}
    for name, call in _all_steps(params, grads):
        before = copy.deepcopy((params, grads))
        out = call()
        for k in params:
            np.testing.assert_array_equal(params[k], before[0][k], err_msg=name)
            np.testing.assert_array_equal(grads[k], before[1][k], err_msg=name)
        outs = _arrays(out)
        assert outs, name
        for a in outs:
            for b in _arrays((params, grads)):
                assert not np.shares_memory(a, b), name
        assert out[0] is not params and out[0] is not grads, name


@pytest.mark.parametrize("opt", ["momentum", "rmsprop", "adam"])
def test_the_old_state_is_unchanged_and_not_shared(opt):
    rng = np.random.default_rng(5)
    params = {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)}
    grads = {k: rng.standard_normal(a.shape) for k, a in params.items()}
    init, step = {"momentum": (optim.momentum_init, optim.momentum_step),
                  "rmsprop": (optim.rmsprop_init, optim.rmsprop_step),
                  "adam": (optim.adam_init, optim.adam_step)}[opt]
    _, s1 = step(params, grads, init(params), lr=0.1)
    kept = copy.deepcopy(s1)
    _, s2 = step(params, grads, s1, lr=0.1)
    for old, new, k0 in zip(_arrays(s1), _arrays(s2), _arrays(kept)):
        np.testing.assert_array_equal(old, k0)  # the state passed in is untouched
        assert not np.shares_memory(old, new)
        assert not np.array_equal(old, new)  # and the next one did move
    if opt == "adam":
        assert (s1.t, s2.t) == (1, 2)
    a, b = init(params), init(params)
    for x, y in zip(_arrays(a), _arrays(b)):
        assert not np.shares_memory(x, y)


@pytest.mark.parametrize("name", ["sgd", "momentum", "rmsprop", "adam", "clip"])
def test_float32_stays_float32(name):
    rng = np.random.default_rng(6)
    params = {"W": rng.standard_normal((3, 2)).astype(np.float32)}
    grads = {"W": (10 * rng.standard_normal((3, 2))).astype(np.float32)}
    out = dict(_all_steps(params, grads))[name]()
    for a in _arrays(out):
        assert a.dtype == np.float32, name


# ------------------------------------------------------------------ descent on lstm_ref

def _lstm_loss(rng, T=3, B=1, D=2, H=3):
    """J(W, b) = Σ_t u_t·h_t of lstm_ref's sequence, and its gradient by lstm_backward."""
    x, h0, c0 = (rng.standard_normal(s) for s in ((T, B, D), (B, H), (B, H)))
    u = rng.standard_normal((T, B, H))

    def J(W, b):
        h, _, _ = lstm_ref.lstm_forward(x, h0, c0, W, b)
        return float(np.sum(u * h))

    def grad(W, b):
        _, _, cache = lstm_ref.lstm_forward(x, h0, c0, W, b)
        g = lstm_ref.lstm_backward(u, cache)
        return {"W": g.dW, "b": g.db}
    params = {"W": 0.5 * rng.standard_normal((4 * H, H + D)), "b": 0.5 * rng.standard_normal(4 * H)}
    return J, grad, params


@pytest.mark.parametrize("seed", [7, 8])
def test_one_small_step_lowers_an_lstm_loss(seed):
    J, grad, params = _lstm_loss(np.random.default_rng(seed))
    g = grad(**params)
    lstm_ref.gradcheck(J, {k: v.copy() for k, v in params.items()}, g).assert_ok()
    J0, lr = J(**params), 1e-3
    steps = {
        "sgd": optim.sgd_step(params, g, lr=lr),
        "momentum": optim.momentum_step(params, g, optim.momentum_init(params), lr=lr)[0],
        "rmsprop": optim.rmsprop_step(params, g, optim.rmsprop_init(params), lr=lr)[0],
        "adam": optim.adam_step(params, g, optim.adam_init(params), lr=lr)[0],
        "clipped sgd": optim.sgd_step(params, optim.clip_by_global_norm(g, 0.1)[0], lr=lr),
    }
    for name, p in steps.items():
        assert J(**p) < J0, name
    # the SGD step lowers J by η‖g‖² to first order (the sign the source 000 display flips)
    drop = J0 - J(**steps["sgd"])
    first = lr * sum(float(np.sum(a ** 2)) for a in g.values())
    assert abs(drop - first) < 0.05 * first
    assert J(**optim.sgd_step(params, {k: -a for k, a in g.items()}, lr=lr)) > J0


# ------------------------------------------------------------------ clipping

def test_clip_small_gradients_unchanged():
    grads = {"W": arr(0.3, -0.4), "b": arr(0)}
    out, norm = optim.clip_by_global_norm(grads, 1.0)
    assert norm == 0.5  # √(0.09 + 0.16), rounded exactly in float64
    for k in grads:
        np.testing.assert_array_equal(out[k], grads[k])
        assert out[k] is not grads[k]
    out, norm = optim.clip_by_global_norm({"W": arr(3, 0), "b": arr(4)}, 5.0)  # at the limit
    np.testing.assert_array_equal(out["W"], [3, 0])
    np.testing.assert_array_equal(out["b"], [4])
    assert norm == 5.0


def test_clip_by_hand():
    # ‖g‖ = √(3² + 0² + 4²) = 5 over both arrays together; max_norm 2.5: every entry × 0.5
    out, norm = optim.clip_by_global_norm({"W": arr(3, 0), "b": arr(-4)}, 2.5)
    assert norm == 5.0
    np.testing.assert_array_equal(out["W"], [1.5, 0])
    np.testing.assert_array_equal(out["b"], [-2])


@pytest.mark.parametrize("seed, scale", [(9, 10.0), (10, 1e3), (11, 1e200)])
def test_clip_scales_large_gradients_to_max_norm(seed, scale):
    rng = np.random.default_rng(seed)
    grads = {"W": scale * rng.standard_normal((4, 3)), "b": scale * rng.standard_normal(4),
             "s": np.array(scale)}
    norm_ref = scale * math.sqrt(sum(float(np.sum((a / scale) ** 2)) for a in grads.values()))
    out, norm = optim.clip_by_global_norm(grads, 2.0)
    assert math.isclose(norm, norm_ref, rel_tol=1e-14)
    clipped = math.sqrt(sum(float(np.sum(a ** 2)) for a in out.values()))
    assert math.isclose(clipped, 2.0, rel_tol=1e-14)
    for k in grads:  # one factor for all arrays: the direction is kept
        np.testing.assert_allclose(out[k], grads[k] * (2.0 / norm_ref), rtol=1e-14)


def test_clip_zero_and_empty():
    out, norm = optim.clip_by_global_norm({"W": np.zeros((2, 2))}, 1.0)
    assert norm == 0.0 and not out["W"].any()
    assert optim.clip_by_global_norm({}, 1.0) == ({}, 0.0)


# ------------------------------------------------------------------ errors

P = {"W": np.ones((2, 3)), "b": np.ones(2)}
G = {"W": np.ones((2, 3)), "b": np.ones(2)}


def _sgd(**kw):
    return optim.sgd_step(kw.pop("params", P), kw.pop("grads", G), **{"lr": 0.1, **kw})


def _mom(**kw):
    return optim.momentum_step(P, G, kw.pop("state", optim.momentum_init(P)), **{"lr": 0.1, **kw})


def _rms(**kw):
    return optim.rmsprop_step(P, G, kw.pop("state", optim.rmsprop_init(P)), **{"lr": 0.1, **kw})


def _adam(**kw):
    return optim.adam_step(P, G, kw.pop("state", optim.adam_init(P)), **{"lr": 0.1, **kw})


def _clip(**kw):
    return optim.clip_by_global_norm(kw.pop("grads", G), kw.pop("max_norm", 1.0))


BAD = [  # (call, error, the message, a regex)
    (lambda: _sgd(lr=0.0), ValueError, r"lr: expected a positive finite number, got 0\.0"),
    (lambda: _sgd(lr=-0.1), ValueError, r"lr: expected a positive finite number, got -0\.1"),
    (lambda: _sgd(lr=float("nan")), ValueError, r"lr: expected a positive finite number, got nan"),
    (lambda: _adam(lr=float("inf")), ValueError, r"lr: expected a positive finite number, got inf"),
    (lambda: _sgd(lr="0.1"), TypeError, r"lr: expected a real number, got str"),
    (lambda: _sgd(lr=True), TypeError, r"lr: expected a real number, got bool"),
    (lambda: _mom(beta=1.0), ValueError, r"beta: expected a number in \[0, 1\), got 1\.0"),
    (lambda: _mom(beta=-0.1), ValueError, r"beta: expected a number in \[0, 1\), got -0\.1"),
    (lambda: _rms(rho=1.5), ValueError, r"rho: expected a number in \[0, 1\), got 1\.5"),
    (lambda: _rms(rho=float("nan")), ValueError, r"rho: expected a number in \[0, 1\), got nan"),
    (lambda: _adam(beta1=1.0), ValueError, r"beta1: expected a number in \[0, 1\), got 1\.0"),
    (lambda: _adam(beta2=-1e-9), ValueError, r"beta2: expected a number in \[0, 1\), got -1e-09"),
    (lambda: _adam(eps=0.0), ValueError, r"eps: expected a positive finite number, got 0\.0"),
    (lambda: _rms(eps=-1e-8), ValueError, r"eps: expected a positive finite number, got -1e-08"),
    (lambda: _clip(max_norm=0), ValueError, r"max_norm: expected a positive finite number, got 0"),
    (lambda: _clip(max_norm=-1.0), ValueError,
     r"max_norm: expected a positive finite number, got -1\.0"),
    (lambda: _sgd(grads={"W": G["W"]}), ValueError,
     r"grads: expected the keys of params \['W', 'b'\], got \['W'\] \(missing 'b'\)"),
    (lambda: _sgd(grads={**G, "c": G["b"]}), ValueError,
     r"grads: expected the keys of params \['W', 'b'\], got \['W', 'b', 'c'\] \(extra 'c'\)"),
    (lambda: _sgd(grads={"W": G["W"], "B": G["b"]}), ValueError,
     r"\(missing 'b'; extra 'B'\)"),
    (lambda: _sgd(grads={**G, "W": np.ones((3, 2))}), ValueError,
     r"grads\['W'\]: expected shape \(2, 3\) \(the shape of params\['W'\]\), got \(3, 2\)"),
    (lambda: _sgd(grads={**G, "b": np.array([1.0, np.nan])}), ValueError,
     r"grads\['b'\]: expected finite values, got 1 NaN/Inf entry out of 2"),
    (lambda: _clip(grads={**G, "W": np.full((2, 3), np.inf)}), ValueError,
     r"grads\['W'\]: expected finite values, got 6 NaN/Inf entries out of 6"),
    (lambda: _sgd(grads={**G, "b": np.ones(2, dtype=int)}), TypeError,
     r"grads\['b'\]: expected dtype float32 or float64, got int64"),
    (lambda: _sgd(params={**P, "W": np.ones((2, 3), dtype=int)}), TypeError,
     r"params\['W'\]: expected dtype float32 or float64, got int64"),
    (lambda: _clip(grads={"W": [1.0, 2.0]}), TypeError,
     r"grads\['W'\]: expected a numpy.ndarray, got list"),
    (lambda: _sgd(grads={**G, "b": np.ones(2, dtype=np.float32)}), TypeError,
     r"grads\['b'\]: expected dtype float64 \(the dtype of params\['b'\]\), got float32"),
    (lambda: _sgd(params=[P["W"]]), TypeError, r"params: expected Mapping, got list"),
    (lambda: _clip(grads=(G["W"],)), TypeError, r"grads: expected Mapping, got tuple"),
    (lambda: _mom(state=optim.rmsprop_init(P)), TypeError,
     r"state: expected MomentumState, got lstm_ref.optim.RMSpropState"),
    (lambda: _rms(state=optim.RMSpropState(ms={"W": np.zeros((2, 3))})), ValueError,
     r"state.ms: expected the keys of params \['W', 'b'\], got \['W'\] \(missing 'b'\)"),
    (lambda: _adam(state=optim.AdamState(m=optim.adam_init(P).m, t=0,
                                         v={**optim.adam_init(P).v, "b": np.zeros(3)})),
     ValueError, r"state.v\['b'\]: expected shape \(2,\) \(the shape of params\['b'\]\), "
                 r"got \(3,\)"),
    (lambda: _adam(state=optim.adam_init(P)._replace(t=-1)), ValueError,
     r"state.t: expected an int >= 0, got -1"),
    (lambda: _adam(state=optim.adam_init(P)._replace(t=1.0)), TypeError,
     r"state.t: expected an int >= 0, got float"),
]


@pytest.mark.parametrize("call, error, match", BAD)
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_the_good_calls_of_the_error_table_pass():
    # the calls above fail only because of the one thing each changes
    _sgd(), _mom(), _rms(), _adam(), _clip()
    _mom(beta=0.0), _rms(rho=0.0), _adam(beta1=0.0, beta2=0.0)
