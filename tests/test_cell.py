"""One LSTM step: finite-difference checks of every input, and the forward equations."""

import numpy as np
import pytest

import lstm_ref as L
from lstm_ref.gradcheck import gradcheck

# (B, D, H): batch of one, D != H both ways, square
SHAPES = [(1, 3, 4), (3, 5, 2), (2, 2, 2), (4, 1, 3)]


def make_step(B, D, H, seed=0):
    rng = np.random.default_rng(seed)
    W, b = L.init_lstm_params(D, H, rng)
    b = b + 0.3 * rng.standard_normal(4 * H)  # break the zero-bias symmetry
    arrays = dict(
        x=rng.standard_normal((B, D)),
        h_prev=rng.standard_normal((B, H)),
        c_prev=rng.standard_normal((B, H)),
        W=W * 2,
        b=b,
    )
    return rng, arrays


@pytest.mark.parametrize("B, D, H", SHAPES)
def test_step_gradcheck_all_inputs(B, D, H):
    rng, arrays = make_step(B, D, H)
    U_h = rng.standard_normal((B, H))  # J = sum(U_h * h) + sum(U_c * c)
    U_c = rng.standard_normal((B, H))

    def J(x, h_prev, c_prev, W, b):
        h, c, _ = L.lstm_step_forward(x, h_prev, c_prev, W, b)
        return float((U_h * h).sum() + (U_c * c).sum())

    _, _, cache = L.lstm_step_forward(**arrays)
    # dh is the total dJ/dh_t = U_h; dc_next = U_c enters as dJ/dc_t.
    g = L.lstm_step_backward(U_h, U_c, cache)
    analytic = dict(x=g.dx, h_prev=g.dh_prev, c_prev=g.dc_prev, W=g.dW, b=g.db)
    for name, d in analytic.items():
        assert d.shape == arrays[name].shape, name
    gradcheck(J, arrays, analytic).assert_ok()


def test_step_forward_matches_source_equations_per_gate():
    B, D, H = 2, 3, 4
    _, p = make_step(B, D, H, seed=1)
    h, c, cache = L.lstm_step_forward(**p)

    def sig(a):
        return 1 / (1 + np.exp(-a))

    z = np.concatenate([p["h_prev"], p["x"]], axis=1)
    Wf, Wi, Wo, Wg = L.split_weight_by_gate(p["W"])
    bf, bi, bo, bg = L.split_gates(p["b"])
    f, i, o, g = sig(z @ Wf.T + bf), sig(z @ Wi.T + bi), sig(z @ Wo.T + bo), np.tanh(z @ Wg.T + bg)
    c_ref = i * g + f * p["c_prev"]
    np.testing.assert_allclose(c, c_ref, rtol=1e-14)
    np.testing.assert_allclose(h, o * np.tanh(c_ref), rtol=1e-14)
    for name, ref in zip("fiog", (f, i, o, g)):
        np.testing.assert_allclose(getattr(cache, name), ref, rtol=1e-14)
    np.testing.assert_allclose(cache.tanh_c, np.tanh(c_ref), rtol=1e-14)


def test_step_zero_upstream_gives_exact_zeros():
    _, p = make_step(2, 3, 4)
    _, _, cache = L.lstm_step_forward(**p)
    zero = np.zeros((2, 4))
    for d in L.lstm_step_backward(zero, zero, cache):
        assert not np.any(d)


def test_step_float32():
    _, p = make_step(2, 3, 4)
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    h, c, cache = L.lstm_step_forward(**p32)
    h64, c64, _ = L.lstm_step_forward(**p)
    assert h.dtype == np.float32 and c.dtype == np.float32
    np.testing.assert_allclose(h, h64, rtol=1e-5, atol=1e-6)
    g = L.lstm_step_backward(np.ones((2, 4), np.float32), np.zeros((2, 4), np.float32), cache)
    assert all(d.dtype == np.float32 for d in g)
