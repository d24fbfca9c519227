"""Losses: values against direct formulas, gradients against finite differences."""

import numpy as np
import pytest

import lstm_ref as L
from lstm_ref.gradcheck import gradcheck

REDUCTIONS = ["sum", "mean"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(1, 3), (4, 5), (3, 2, 4)])
def test_cross_entropy_int_targets_gradcheck(shape, reduction):
    rng = np.random.default_rng(1)
    v = rng.standard_normal(shape)
    y = rng.integers(0, shape[-1], size=shape[:-1])
    J, dv = L.softmax_cross_entropy(v, y, reduction=reduction)
    # Direct formula: -sum log softmax(v)[y]
    p = np.exp(v) / np.exp(v).sum(-1, keepdims=True)
    picked = np.take_along_axis(p, y[..., None], axis=-1)
    expected = -np.log(picked).sum() / (1 if reduction == "sum" else y.size)
    assert J == pytest.approx(expected, rel=1e-13)

    def f(v):
        return L.softmax_cross_entropy(v, y, reduction=reduction)[0]

    gradcheck(f, {"v": v}, {"v": dv}).assert_ok()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("normalised", [True, False])
def test_cross_entropy_soft_targets_gradcheck(reduction, normalised):
    rng = np.random.default_rng(2)
    v = rng.standard_normal((2, 3, 4))
    y = rng.uniform(0.1, 1.0, size=v.shape)
    if normalised:
        y /= y.sum(-1, keepdims=True)
    J, dv = L.softmax_cross_entropy(v, y, reduction=reduction)

    def f(v, y):
        return L.softmax_cross_entropy(v, y, reduction=reduction)[0]

    gradcheck(f, {"v": v, "y": y}, {"v": dv}).assert_ok()
    if normalised:  # the familiar y_hat - y
        np.testing.assert_allclose(
            dv * (1 if reduction == "sum" else 6), L.softmax(v) - y, atol=1e-15
        )


def test_cross_entropy_one_hot_equals_int_targets():
    rng = np.random.default_rng(3)
    v = rng.standard_normal((5, 4))
    y = rng.integers(0, 4, size=5)
    onehot = np.eye(4)[y]
    J1, d1 = L.softmax_cross_entropy(v, y)
    J2, d2 = L.softmax_cross_entropy(v, onehot)
    assert J1 == pytest.approx(J2, rel=1e-14)
    np.testing.assert_allclose(d1, d2, atol=1e-15)


def test_cross_entropy_huge_logits_finite():
    v = np.array([[1e4, -1e4, 0.0]])
    J, dv = L.softmax_cross_entropy(v, np.array([1]))
    assert J == pytest.approx(2e4) and np.all(np.isfinite(dv))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_value_and_gradcheck(reduction):
    rng = np.random.default_rng(4)
    s = rng.standard_normal((3, 4)) * 3
    y = rng.uniform(0, 1, size=s.shape)
    J, ds = L.sigmoid_binary_cross_entropy(s, y, reduction=reduction)
    p = 1 / (1 + np.exp(-s))
    n = 1 if reduction == "sum" else s.size
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum() / n
    assert J == pytest.approx(expected, rel=1e-12)

    def f(s, y):
        return L.sigmoid_binary_cross_entropy(s, y, reduction=reduction)[0]

    gradcheck(f, {"s": s, "y": y}, {"s": ds}).assert_ok()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_extreme_logits_finite(dtype):
    s = np.array([-1000, 1000, 0], dtype=dtype)
    y = np.array([1, 0, 1], dtype=dtype)
    J, ds = L.sigmoid_binary_cross_entropy(s, y)
    assert J == pytest.approx(2000 + np.log(2), rel=1e-6)
    assert ds.dtype == dtype
    np.testing.assert_allclose(ds, [-1, 1, -0.5])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_value_sign_and_gradcheck(reduction):
    rng = np.random.default_rng(5)
    y_hat = rng.standard_normal((2, 3))
    y = rng.standard_normal((2, 3))
    J, dy_hat = L.mean_squared_error(y_hat, y, reduction=reduction)
    n = 1 if reduction == "sum" else y.size
    assert J == pytest.approx(((y_hat - y) ** 2).sum() / n, rel=1e-14)
    # Sign: the gradient is 2(y_hat - y)/N, not source 002's 2(y - y_hat).
    np.testing.assert_allclose(dy_hat, 2 * (y_hat - y) / n, rtol=1e-15)

    def f(y_hat, y):
        return L.mean_squared_error(y_hat, y, reduction=reduction)[0]

    gradcheck(f, {"y_hat": y_hat, "y": y}, {"y_hat": dy_hat}).assert_ok()


def test_mse_default_is_mean():
    y_hat = np.array([1.0, 3.0])
    y = np.zeros(2)
    assert L.mean_squared_error(y_hat, y)[0] == pytest.approx(5.0)


@pytest.mark.parametrize("bad", [2.0, -0.5, 1.0 + 1e-9])
def test_probability_targets_outside_0_1_are_named(bad):
    # A BCE or soft-target CE with a "probability" of 2 returns a number, but a meaningless one.
    s = np.zeros((2, 3))
    y = np.full((2, 3), 0.5)
    y[1, 2] = bad
    with pytest.raises(ValueError, match=r"y: expected probabilities in \[0, 1\], got values in "):
        L.sigmoid_binary_cross_entropy(s, y)
    if bad < 0:  # soft-target cross-entropy takes any weights >= 0 (rows need not sum to 1)
        msg = r"y: expected target weights >= 0, got a minimum of -0.5"
        with pytest.raises(ValueError, match=msg):
            L.softmax_cross_entropy(s, y)
    else:
        L.softmax_cross_entropy(s, y)


def test_probability_targets_at_the_bounds_are_accepted():
    s = np.zeros((2, 3))
    y = np.array([[0.0, 1.0, 0.25], [1.0, 0.0, 0.0]])
    L.sigmoid_binary_cross_entropy(s, y)
    L.softmax_cross_entropy(s, y)


def test_mean_of_an_empty_batch_is_named():
    with pytest.raises(ValueError, match=r"v: reduction='mean' needs at least one element"):
        L.softmax_cross_entropy(np.ones((0, 3)), np.ones((0,), int), reduction="mean")
    with pytest.raises(ValueError, match=r"s: reduction='mean' needs at least one element"):
        L.sigmoid_binary_cross_entropy(np.ones((0,)), np.ones((0,)), reduction="mean")
    with pytest.raises(ValueError, match=r"y_hat: reduction='mean' needs at least one element"):
        L.mean_squared_error(np.ones((0, 2)), np.ones((0, 2)))
    assert L.softmax_cross_entropy(np.ones((0, 3)), np.ones((0,), int))[0] == 0.0  # an empty sum
