"""Affine output layer: finite-difference checks for (B, H) and (T, B, H) inputs."""

import numpy as np
import pytest

import lstm_ref as L
from lstm_ref.gradcheck import gradcheck


@pytest.mark.parametrize("lead", [(1,), (4,), (3, 2), (1, 1)])
@pytest.mark.parametrize("H, V", [(3, 5), (4, 1)])
def test_affine_gradcheck(lead, H, V):
    rng = np.random.default_rng(10)
    h = rng.standard_normal(lead + (H,))
    W_v = rng.standard_normal((V, H))
    b_v = rng.standard_normal(V)
    U = rng.standard_normal(lead + (V,))  # J = sum(U * v)
    v, cache = L.affine_forward(h, W_v, b_v)
    assert v.shape == lead + (V,)
    g = L.affine_backward(U, cache)

    def f(h, W_v, b_v):
        return float((U * L.affine_forward(h, W_v, b_v)[0]).sum())

    arrays = {"h": h, "W_v": W_v, "b_v": b_v}
    gradcheck(f, arrays, {"h": g.dh, "W_v": g.dW_v, "b_v": g.db_v}).assert_ok()


def test_affine_with_cross_entropy_head_gradcheck():
    # Source 000's output layer: v = W_v h + b_v, softmax, cross-entropy.
    rng = np.random.default_rng(11)
    T, B, H, V = 3, 2, 4, 5
    h = rng.standard_normal((T, B, H))
    W_v, b_v = L.init_affine_params(H, V, rng)
    y = rng.integers(0, V, size=(T, B))

    def f(h, W_v, b_v):
        return L.softmax_cross_entropy(L.affine_forward(h, W_v, b_v)[0], y)[0]

    v, cache = L.affine_forward(h, W_v, b_v)
    _, dv = L.softmax_cross_entropy(v, y)
    g = L.affine_backward(dv, cache)
    arrays = {"h": h, "W_v": W_v, "b_v": b_v}
    gradcheck(f, arrays, {"h": g.dh, "W_v": g.dW_v, "b_v": g.db_v}).assert_ok()


def test_affine_matches_per_step_sum():
    rng = np.random.default_rng(12)
    h = rng.standard_normal((4, 3, 2))
    W_v = rng.standard_normal((5, 2))
    dv = rng.standard_normal((4, 3, 5))
    _, cache = L.affine_forward(h, W_v, np.zeros(5))
    g = L.affine_backward(dv, cache)
    np.testing.assert_allclose(g.dW_v, sum(dv[t].T @ h[t] for t in range(4)), rtol=1e-13)
    np.testing.assert_allclose(g.db_v, dv.sum(axis=(0, 1)), rtol=1e-13)
