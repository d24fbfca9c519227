"""Parameter layout: gate order, split/fuse round trips, initialisation."""

import numpy as np
import pytest

import lstm_ref as L


def test_gate_order():
    assert L.GATES == ("f", "i", "o", "g")
    assert L.Gates._fields == L.GATES


def test_split_gates_are_views_and_fuse_round_trips():
    a = np.arange(2 * 12, dtype=float).reshape(2, 12)
    gates = L.split_gates(a)
    assert all(np.shares_memory(a, blk) for blk in gates)
    np.testing.assert_array_equal(gates.f, a[:, 0:3])
    np.testing.assert_array_equal(gates.g, a[:, 9:12])
    np.testing.assert_array_equal(L.fuse_gates(*gates), a)
    b = np.arange(8.0)
    assert L.split_gates(b).o.tolist() == [4.0, 5.0]


def test_split_and_fuse_weight_round_trip():
    rng = np.random.default_rng(0)
    H, D = 3, 5
    W = rng.standard_normal((4 * H, H + D))
    W_h, W_x = L.split_weight(W, H)
    assert W_h.shape == (4 * H, H) and W_x.shape == (4 * H, D)
    np.testing.assert_array_equal(L.fuse_weight(W_h, W_x), W)
    # z = [h; x]: the h columns come first
    h, x = rng.standard_normal(H), rng.standard_normal(D)
    np.testing.assert_allclose(W @ np.concatenate([h, x]), W_h @ h + W_x @ x, rtol=1e-14)


def test_split_weight_by_gate_matches_split_gates_of_preactivation():
    rng = np.random.default_rng(1)
    H, D = 2, 3
    W = rng.standard_normal((4 * H, H + D))
    z = rng.standard_normal(H + D)
    by_gate = L.split_weight_by_gate(W)
    for name, Wk, ak in zip(L.GATES, by_gate, L.split_gates(W @ z)):
        assert Wk.shape == (H, H + D), name
        np.testing.assert_allclose(Wk @ z, ak, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_lstm_params(dtype):
    D, H = 5, 3
    p = L.init_lstm_params(D, H, np.random.default_rng(0), forget_bias=1.5, dtype=dtype)
    assert isinstance(p, L.LSTMParams)
    assert p.W.shape == (4 * H, H + D) and p.b.shape == (4 * H,)
    assert p.W.dtype == dtype and p.b.dtype == dtype
    assert (p.H, p.D) == (H, D)
    s = 1 / np.sqrt(H + D)
    assert np.all(np.abs(p.W) <= s)
    f, i, o, g = L.split_gates(p.b)
    assert np.all(f == np.asarray(1.5, dtype)) and not np.any(i) and not np.any(o) and not np.any(g)


def test_init_is_reproducible_and_scale_option():
    p1 = L.init_lstm_params(2, 3, np.random.default_rng(7))
    p2 = L.init_lstm_params(2, 3, np.random.default_rng(7))
    np.testing.assert_array_equal(p1.W, p2.W)
    p3 = L.init_lstm_params(2, 3, np.random.default_rng(7), scale=0.01)
    assert np.abs(p3.W).max() <= 0.01


def test_init_affine_params():
    W_v, b_v = L.init_affine_params(4, 6, np.random.default_rng(0), dtype=np.float32)
    assert W_v.shape == (6, 4) and b_v.shape == (6,) and W_v.dtype == np.float32
    assert not np.any(b_v)


def test_init_requires_generator():
    with pytest.raises(TypeError, match=r"rng: expected Generator, got int"):
        L.init_lstm_params(2, 3, 0)
    with pytest.raises(TypeError, match=r"rng: expected Generator"):
        L.init_affine_params(2, 3, np.random.RandomState(0))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True])
def test_forget_bias_must_be_a_finite_number(bad):
    with pytest.raises(ValueError, match=r"forget_bias: expected a finite number, got "):
        L.init_lstm_params(3, 2, np.random.default_rng(0), forget_bias=bad)
