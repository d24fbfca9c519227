"""Activations: values against direct formulas, stability at extreme inputs, dtype."""

import math

import numpy as np
import pytest

import lstm_ref as L

DTYPES = [np.float32, np.float64]


def test_sigmoid_matches_math_formula():
    a = np.linspace(-30, 30, 61)
    expected = np.array([1 / (1 + math.exp(-v)) for v in a])
    np.testing.assert_allclose(L.sigmoid(a), expected, rtol=1e-15, atol=0)


def test_sigmoid_keeps_relative_precision_for_negative_inputs():
    # 1 - sigmoid(40) would round to 0; the two-branch form does not.
    assert L.sigmoid(np.array([-40.0]))[0] == pytest.approx(
        math.exp(-40) / (1 + math.exp(-40)), rel=1e-14
    )


def test_tanh_matches_numpy():
    a = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(L.tanh(a), [math.tanh(v) for v in a], rtol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_inputs_no_warning_and_dtype_kept(dtype):
    # pytest turns RuntimeWarning (overflow) into errors.
    a = np.array([-1000, -100, 0, 100, 1000], dtype=dtype)
    s = L.sigmoid(a)
    t = L.tanh(a)
    assert s.dtype == dtype and t.dtype == dtype
    np.testing.assert_array_equal(s[[0, 2, 4]], np.array([0, 0.5, 1], dtype))
    np.testing.assert_array_equal(t[[0, 2, 4]], np.array([-1, 0, 1], dtype))
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(t))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_family_with_huge_logits(dtype):
    v = np.array([[1e4, 0.0, -1e4], [5e3, 5e3, 5e3]], dtype=dtype)
    p = L.softmax(v)
    assert p.dtype == dtype and np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=-1), 1, rtol=1e-6)
    np.testing.assert_allclose(p[1], 1 / 3, rtol=1e-6)
    lp = L.log_softmax(v)
    assert np.all(np.isfinite(lp))
    np.testing.assert_allclose(L.logsumexp(v)[1], 5e3 + math.log(3), rtol=1e-6)


def test_softmax_log_softmax_logsumexp_agree_with_naive_formulas():
    rng = np.random.default_rng(0)
    v = rng.standard_normal((3, 4, 5))
    naive = np.exp(v) / np.exp(v).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(L.softmax(v), naive, rtol=1e-13)
    np.testing.assert_allclose(L.log_softmax(v), np.log(naive), rtol=1e-13)
    np.testing.assert_allclose(L.logsumexp(v, axis=1), np.log(np.exp(v).sum(axis=1)), rtol=1e-13)
    np.testing.assert_allclose(L.softmax(v, axis=0).sum(axis=0), 1, rtol=1e-13)


@pytest.mark.parametrize(
    "fn, grad", [(L.sigmoid, L.sigmoid_grad_from_output), (L.tanh, L.tanh_grad_from_output)]
)
def test_grad_from_output_matches_central_differences(fn, grad):
    a = np.linspace(-4, 4, 17)
    eps = 1e-6
    numeric = (fn(a + eps) - fn(a - eps)) / (2 * eps)
    np.testing.assert_allclose(grad(fn(a)), numeric, rtol=1e-8, atol=1e-12)
