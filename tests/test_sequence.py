"""The plain whole-sequence path (lstm_ref.sequence): finite differences, the single step.

The fused path is tested equal to this one in test_fused.py.
"""

import numpy as np
import pytest

import lstm_ref as L
from lstm_ref.gradcheck import gradcheck

# (T, B, D, H): generic, T = 1, B = 1, D != H, long T (small B, D, H)
SHAPES = [(3, 2, 4, 5), (1, 3, 2, 4), (4, 1, 3, 3), (2, 3, 5, 2), (50, 1, 2, 2)]


def make_seq(T, B, D, H, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    W, b = L.init_lstm_params(D, H, rng)
    arrays = dict(
        x=rng.standard_normal((T, B, D)),
        h0=rng.standard_normal((B, H)),
        c0=rng.standard_normal((B, H)),
        W=2 * W,
        b=b + 0.3 * rng.standard_normal(4 * H),
    )
    return rng, {k: v.astype(dtype) for k, v in arrays.items()}


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_sequence_gradcheck_all_inputs(T, B, D, H):
    rng, arrays = make_seq(T, B, D, H)
    U = rng.standard_normal((T, B, H))  # J = sum(U * h) + sum(U_hT * h_T) + sum(U_cT * c_T)
    U_hT = rng.standard_normal((B, H))
    U_cT = rng.standard_normal((B, H))

    def J(x, h0, c0, W, b):
        h, c, _ = L.lstm_forward(x, h0, c0, W, b)
        return float((U * h).sum() + (U_hT * h[-1]).sum() + (U_cT * c[-1]).sum())

    h, c, cache = L.lstm_forward(**arrays)
    assert h.shape == (T, B, H) and c.shape == (T, B, H)
    g = L.lstm_backward(U, cache, dh_T=U_hT, dc_T=U_cT)
    analytic = dict(x=g.dx, h0=g.dh0, c0=g.dc0, W=g.dW, b=g.db)
    for name, d in analytic.items():
        assert d.shape == arrays[name].shape, name
    gradcheck(J, arrays, analytic).assert_ok()


def test_T1_equals_single_step():
    rng, p = make_seq(1, 3, 2, 4, seed=2)
    h, c, cache = L.lstm_forward(**p)
    hs, cs, step_cache = L.lstm_step_forward(p["x"][0], p["h0"], p["c0"], p["W"], p["b"])
    np.testing.assert_allclose(h[0], hs, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(c[0], cs, rtol=1e-13, atol=1e-15)
    dh = rng.standard_normal((1, 3, 4))
    dc = rng.standard_normal((3, 4))
    g = L.lstm_backward(dh, cache, dc_T=dc)
    s = L.lstm_step_backward(dh[0], dc, step_cache)
    np.testing.assert_allclose(g.dx[0], s.dx, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g.dh0, s.dh_prev, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g.dc0, s.dc_prev, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g.dW, s.dW, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g.db, s.db, rtol=1e-12, atol=1e-14)


def test_dh_T_is_the_same_as_adding_to_last_upstream():
    rng, p = make_seq(3, 2, 3, 4, seed=3)
    _, _, cache = L.lstm_forward(**p)
    dh = rng.standard_normal((3, 2, 4))
    extra = rng.standard_normal((2, 4))
    g1 = L.lstm_backward(dh, cache, dh_T=extra)
    dh2 = dh.copy()
    dh2[-1] += extra
    g2 = L.lstm_backward(dh2, cache)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-16)


def test_zero_upstream_gives_exact_zeros():
    _, p = make_seq(4, 2, 3, 5)
    _, _, cache = L.lstm_forward(**p)
    g = L.lstm_backward(np.zeros((4, 2, 5)), cache, dh_T=np.zeros((2, 5)), dc_T=np.zeros((2, 5)))
    for name, d in zip(g._fields, g):
        assert not np.any(d), name


def test_backward_does_not_modify_inputs_or_cache():
    rng, p = make_seq(3, 2, 3, 4)
    _, _, cache = L.lstm_forward(**p)
    before = [[a.copy() for a in step] for step in cache.steps]
    dh = rng.standard_normal((3, 2, 4))
    dh_copy, dc_T = dh.copy(), rng.standard_normal((2, 4))
    dc_copy = dc_T.copy()
    L.lstm_backward(dh, cache, dc_T=dc_T)
    for step, saved in zip(cache.steps, before):
        for a, b in zip(step, saved):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(dh, dh_copy)
    np.testing.assert_array_equal(dc_T, dc_copy)


def test_float32_close_to_float64():
    rng, p64 = make_seq(6, 3, 4, 5, seed=4)
    p32 = {k: v.astype(np.float32) for k, v in p64.items()}
    h32, c32, cache32 = L.lstm_forward(**p32)
    h64, c64, cache64 = L.lstm_forward(**p64)
    assert h32.dtype == np.float32 and c32.dtype == np.float32
    np.testing.assert_allclose(h32, h64, rtol=1e-4, atol=1e-5)
    dh = rng.standard_normal((6, 3, 5))
    g32 = L.lstm_backward(dh.astype(np.float32), cache32)
    g64 = L.lstm_backward(dh, cache64)
    for name, a, b in zip(g32._fields, g32, g64):
        assert a.dtype == np.float32, name
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_gates_no_warnings(dtype):
    # Pre-activations of +-1e4: saturated gates, no overflow warning and finite results.
    rng, p = make_seq(3, 2, 2, 3, dtype=dtype)
    p["W"] = (p["W"] * 1e4).astype(dtype)
    h, c, cache = L.lstm_forward(**p)
    assert np.all(np.isfinite(h)) and np.all(np.isfinite(c))
    g = L.lstm_backward(np.ones_like(h), cache)
    assert all(np.all(np.isfinite(d)) for d in g)




def test_cache_holds_one_step_cache_per_step():
    _, p = make_seq(5, 2, 3, 4, seed=8)
    h, c, cache = L.lstm_forward(**p)
    assert len(cache.steps) == 5 and all(isinstance(s, L.StepCache) for s in cache.steps)
    # step t's z is [h_{t-1}; x_t]: the stored h_{t-1} is the previous step's output
    for t in range(1, 5):
        np.testing.assert_array_equal(cache.steps[t].z[:, :4], h[t - 1])
    np.testing.assert_array_equal(cache.steps[0].z[:, :4], p["h0"])
