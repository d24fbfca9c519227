"""The benchmark's naive baseline computes exactly what lstm_ref computes.

`benchmarks/naive_lstm.py` is the per-gate, per-step LSTM of source 000 that
`make bench` times against lstm_ref's fused path (`lstm_ref.fused`). A speed
comparison is only fair if both compute the same thing, so here the naive
version must agree to ~1e-12 (float64) with the fused path on every output and
every gradient, and with the plain loop `lstm_ref.sequence` as well. They are
written independently: four gate products and per-step outer products on one
side, one fused input GEMM and one dW GEMM over all steps on the other. No
timing here: performance targets live in the benchmark, which is run on demand.
"""
from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

from lstm_ref import (
    fused_lstm_backward,
    fused_lstm_forward,
    lstm_backward,
    lstm_forward,
    max_rel_error,
)
from lstm_ref.params import init_lstm_params

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("naive_lstm", ROOT / "benchmarks" / "naive_lstm.py")
naive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(naive)

RTOL = 1e-12

# (T, B, D, H): odd shapes, B = 1, T = 1, D != H in both directions.
SHAPES = [(1, 1, 3, 2), (5, 3, 4, 7), (4, 1, 6, 5), (7, 2, 1, 3), (3, 5, 9, 4)]


def make_problem(T, B, D, H, seed):
    rng = np.random.default_rng(seed)
    params = init_lstm_params(D, H, rng)
    # a bias away from the initial one, so every gate block is exercised distinctly
    b = params.b + 0.3 * rng.standard_normal(params.b.shape)
    x = rng.standard_normal((T, B, D))
    h0 = 0.5 * rng.standard_normal((B, H))
    c0 = 0.5 * rng.standard_normal((B, H))
    dh = rng.standard_normal((T, B, H))
    dh_T = rng.standard_normal((B, H))
    dc_T = rng.standard_normal((B, H))
    return x, h0, c0, params.W, b, dh, dh_T, dc_T


# lstm_ref's two sequence paths: the fused one (what the benchmark times) and the plain loop
REFS = {"fused": (fused_lstm_forward, fused_lstm_backward), "plain": (lstm_forward, lstm_backward)}


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}_B{}_D{}_H{}".format(*s))
@pytest.mark.parametrize("final_grads", [False, True], ids=["no_final", "dh_T_dc_T"])
@pytest.mark.parametrize("ref", list(REFS))
def test_naive_equals_lstm_ref(shape, final_grads, ref):
    T, B, D, H = shape
    x, h0, c0, W, b, dh, dh_T, dc_T = make_problem(T, B, D, H, seed=sum(shape) * 31 + final_grads)
    extra = dict(dh_T=dh_T, dc_T=dc_T) if final_grads else {}
    forward, backward = REFS[ref]

    h_ref, c_ref, cache_ref = forward(x, h0, c0, W, b)
    h_nv, c_nv, cache_nv = naive.naive_lstm_forward(x, h0, c0, W, b)
    assert max_rel_error(h_nv, h_ref) <= RTOL
    assert max_rel_error(c_nv, c_ref) <= RTOL

    g_ref = backward(dh, cache_ref, **extra)
    g_nv = naive.naive_lstm_backward(dh, cache_nv, **extra)
    for name in ("dx", "dh0", "dc0", "dW", "db"):
        a, r = getattr(g_nv, name), getattr(g_ref, name)
        assert a.dtype == r.dtype == np.float64, name
        err = max_rel_error(a, r)
        assert err <= RTOL, f"{name}: max_rel_err={err:.2e}"


def test_final_state_gradients_change_the_result():
    # dh_T / dc_T must actually enter the naive backward pass (else the test above
    # could pass with them ignored whenever lstm_ref ignored them too).
    x, h0, c0, W, b, dh, dh_T, dc_T = make_problem(4, 2, 3, 5, seed=7)
    _, _, cache = naive.naive_lstm_forward(x, h0, c0, W, b)
    plain = naive.naive_lstm_backward(dh, cache)
    with_final = naive.naive_lstm_backward(dh, cache, dh_T=dh_T, dc_T=dc_T)
    assert max_rel_error(plain.dW, with_final.dW) > 1e-3
    assert max_rel_error(plain.dc0, with_final.dc0) > 1e-3


def test_naive_agrees_with_central_differences():
    # An oracle independent of lstm_ref: J = sum(dh * h) + sum(dh_T * h_T) + sum(dc_T * c_T),
    # so dJ/dW must match central finite differences of the naive forward pass.
    T, B, D, H = 3, 2, 3, 2
    x, h0, c0, W, b, dh, dh_T, dc_T = make_problem(T, B, D, H, seed=11)

    def J(W_):
        h, c, _ = naive.naive_lstm_forward(x, h0, c0, W_, b)
        return float(np.sum(dh * h) + np.sum(dh_T * h[-1]) + np.sum(dc_T * c[-1]))

    _, _, cache = naive.naive_lstm_forward(x, h0, c0, W, b)
    dW = naive.naive_lstm_backward(dh, cache, dh_T=dh_T, dc_T=dc_T).dW   # (4H, H+D)
    eps = 1e-6
    dW_num = np.zeros_like(W)                                           # (4H, H+D)
    for idx in np.ndindex(W.shape):
        Wp, Wm = W.copy(), W.copy()
        Wp[idx] += eps
        Wm[idx] -= eps
        dW_num[idx] = (J(Wp) - J(Wm)) / (2 * eps)
    assert max_rel_error(dW, dW_num) <= 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_naive_keeps_the_dtype(dtype):
    # the benchmark times both dtypes: no silent promotion to float64
    x, h0, c0, W, b, dh, _, _ = make_problem(3, 2, 4, 5, seed=3)
    cast = [a.astype(dtype) for a in (x, h0, c0, W, b, dh)]
    h, c, cache = naive.naive_lstm_forward(*cast[:5])
    grads = naive.naive_lstm_backward(cast[5], cache)
    assert h.dtype == c.dtype == dtype
    assert all(g.dtype == dtype for g in grads)
