"""The torch comparison gives torch.nn.LSTM lstm_ref's weights, in torch's layout.

`benchmarks/bench_torch.py` maps lstm_ref's fused W (4H, H+D), b (4H,) (gate
order f, i, o, g; columns on [h_prev; x]) to torch.nn.LSTM's weight_ih_l0,
weight_hh_l0, bias_ih_l0, bias_hh_l0 (gate order i, f, g, o), and torch's
parameter gradients back. Torch itself is not needed here (`make test` has
none; the benchmark asserts agreement with real torch before it times
anything). The oracle is torch's documented LSTM, written out in NumPy:

    i = sigma(W_ii x + b_ii + W_hi h + b_hi)    f = sigma(W_if x + b_if + W_hf h + b_hf)
    g = tanh(W_ig x + b_ig + W_hg h + b_hg)     o = sigma(W_io x + b_io + W_ho h + b_ho)
    c' = f * c + i * g                          h' = o * tanh(c')

with weight_ih_l0 = [W_ii; W_if; W_ig; W_io] (rows stacked), and likewise for
the others. Its forward pass must equal lstm_ref's, and its finite-difference
parameter gradients, mapped back, must equal lstm_ref's dW and db.
"""
from __future__ import annotations

import importlib.util
import inspect
import pathlib

import numpy as np
import pytest

from lstm_ref import init_lstm_params, lstm_backward, lstm_forward, max_rel_error
from lstm_ref.gradcheck import numerical_gradient

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_torch",
                                               ROOT / "benchmarks" / "bench_torch.py")
bench_torch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_torch)

# (T, B, D, H): odd shapes, B = 1, T = 1, D != H both ways
SHAPES = [(1, 1, 3, 2), (4, 3, 2, 5), (3, 2, 6, 4)]


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def torch_documented_lstm(x, h0, c0, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0):
    """h (T, B, H), c (T, B, H) of torch.nn.LSTM's documented equations (one layer)."""
    H = h0.shape[1]
    h, c, hs, cs = h0, c0, [], []
    for x_t in x:
        a = x_t @ weight_ih_l0.T + bias_ih_l0 + h @ weight_hh_l0.T + bias_hh_l0   # (B, 4H)
        i, f, g, o = (a[:, k * H:(k + 1) * H] for k in range(4))                  # torch's order
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


def _problem(T, B, D, H, seed):
    rng = np.random.default_rng(seed)
    p = init_lstm_params(D, H, rng)
    b = p.b + 0.5 * rng.standard_normal(4 * H)          # every gate's bias distinct
    x, dh = rng.standard_normal((T, B, D)), rng.standard_normal((T, B, H))
    h0, c0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    return x, h0, c0, p.W, b, dh


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}_B{}_D{}_H{}".format(*s))
def test_torch_layout_computes_lstm_refs_forward_pass(shape):
    x, h0, c0, W, b, _ = _problem(*shape, seed=sum(shape))
    params = bench_torch.torch_lstm_parameters(W, b)
    T, B, D, H = shape
    assert {k: v.shape for k, v in params.items()} == {
        "weight_ih_l0": (4 * H, D), "weight_hh_l0": (4 * H, H),
        "bias_ih_l0": (4 * H,), "bias_hh_l0": (4 * H,)}
    assert all(v.flags.c_contiguous and v.dtype == W.dtype for v in params.values())
    h_t, c_t = torch_documented_lstm(x, h0, c0, **params)
    h, c, _ = lstm_forward(x, h0, c0, W, b)
    assert max_rel_error(h_t, h) <= 1e-13
    assert max_rel_error(c_t, c) <= 1e-13


def test_a_wrong_gate_order_is_caught():
    # the forward check above can fail: lstm_ref's own order handed to torch gives other numbers
    x, h0, c0, W, b, _ = _problem(3, 2, 4, 5, seed=1)
    H = 5
    wrong = {"weight_ih_l0": W[:, H:], "weight_hh_l0": W[:, :H], "bias_ih_l0": b,
             "bias_hh_l0": np.zeros_like(b)}
    h_t, _ = torch_documented_lstm(x, h0, c0, **wrong)
    assert max_rel_error(h_t, lstm_forward(x, h0, c0, W, b)[0]) > 1e-2


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}_B{}_D{}_H{}".format(*s))
def test_torch_gradients_map_back_to_lstm_refs(shape):
    # J = sum(dh * h): finite differences of torch's documented LSTM in torch's
    # layout, mapped back with lstm_ref_gradients, against lstm_ref's BPTT
    x, h0, c0, W, b, dh = _problem(*shape, seed=7 + sum(shape))
    params = bench_torch.torch_lstm_parameters(W, b)

    def J(**p):
        return float(np.sum(dh * torch_documented_lstm(x, h0, c0, **p)[0]))

    numeric = numerical_gradient(J, params)
    dW_t, db_t = bench_torch.lstm_ref_gradients(numeric)
    g = lstm_backward(dh, lstm_forward(x, h0, c0, W, b)[2])
    assert max_rel_error(dW_t, g.dW) <= 1e-8
    assert max_rel_error(db_t, g.db) <= 1e-8
    # both biases enter the pre-activation alike, so their gradients agree
    assert max_rel_error(numeric["bias_hh_l0"], numeric["bias_ih_l0"]) <= 1e-8


def test_gradient_mapping_inverts_the_parameter_mapping():
    rng = np.random.default_rng(4)
    H, D = 3, 5
    W, b = rng.standard_normal((4 * H, H + D)), rng.standard_normal(4 * H)
    dW, db = bench_torch.lstm_ref_gradients(bench_torch.torch_lstm_parameters(W, b))
    np.testing.assert_array_equal(dW, W)
    np.testing.assert_array_equal(db, b)


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r"W, b: expected shapes \(4H, H\+D\) and \(4H,\)"):
        bench_torch.torch_lstm_parameters(np.zeros((8, 3)), np.zeros(7))


# ---- torch_gemm multiplies exactly the floor's operands ---------------------------------
# bench_torch times lstm_ref's matrix products twice: bench_lstm.gemm_floor (NumPy) and
# torch.mm on torch.from_numpy views of gemm_products(replay). The oracle for the list
# is the replay itself: np.matmul is swapped for a recorder while gemm_floor builds it.


def _layout(m):
    return (m.__array_interface__["data"][0], m.shape, m.strides, m.dtype)


def replay_args(replay):
    """W (4H, H+D) and da2 (T*B, 4H) of a gemm_floor replay."""
    v = inspect.getclosurevars(replay).nonlocals
    return v["W_x"].base, v["da2"]


def _recorded_floor(monkeypatch, T, B, D, H, dtype):
    args = bench_torch.make_inputs(B, T, D, H, np.dtype(dtype))
    calls, matmul = [], np.matmul

    def recording(a, b, *, out):
        calls.append((a, b, out))
        return matmul(a, b, out=out)

    with monkeypatch.context() as patch:
        patch.setattr(np, "matmul", recording)
        replay = bench_torch.gemm_floor(*args)   # binds np.matmul when it is built
    replay()
    return replay, calls


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}_B{}_D{}_H{}".format(*s))
def test_gemm_products_are_the_floors_products_on_the_same_memory(monkeypatch, shape, dtype):
    T, B, D, H = shape
    replay, calls = _recorded_floor(monkeypatch, T, B, D, H, dtype)
    products = bench_torch.gemm_products(replay)
    # forward: 1 + T products; backward: (T - 1) + 1 + 1 + 2
    assert len(calls) == len(products) == 2 * T + 4
    for k, (recorded, listed) in enumerate(zip(calls, products, strict=True)):
        assert [_layout(m) for m in listed] == [_layout(m) for m in recorded], k
    # W_x.T and da2.T reach BLAS as transposed views of W and da, not copies
    W, da2 = replay_args(replay)
    (_, W_xT, _), *_, (da2T, _, out) = products
    assert W_xT.shape == (D, 4 * H) and W_xT.strides == W.strides[::-1]
    assert np.shares_memory(W_xT, W) and np.shares_memory(da2T, da2)
    assert da2T.strides == da2.strides[::-1] and out.shape == (4 * H, D)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}_B{}_D{}_H{}".format(*s))
def test_gemm_products_compute_the_floors_outputs(monkeypatch, shape):
    # an independent replay of the list (fresh products, no out=) gives the floor's outputs
    T, B, D, H = shape
    replay, _ = _recorded_floor(monkeypatch, T, B, D, H, "float64")
    products = bench_torch.gemm_products(replay)
    outs = bench_torch.gemm_outputs(products)
    # gates, rec, dh_t (only when T > 1), dh0, dx, dW[:, :H], dW[:, H:]
    assert len(outs) == (7 if T > 1 else 6)
    final = {}
    for a, b, out in products:
        final[_layout(out)] = np.dot(a, b)
    assert set(final) == {_layout(out) for out in outs}
    for out in outs:
        assert max_rel_error(out, final[_layout(out)]) <= 1e-14


def test_check_gemm_replays_catches_a_missing_product(monkeypatch):
    T, B, D, H = 3, 2, 4, 5
    replay, _ = _recorded_floor(monkeypatch, T, B, D, H, "float64")
    products = bench_torch.gemm_products(replay)

    def numpy_list(items):
        def run():
            for a, b, out in items:
                np.matmul(a, b, out=out)
        return run

    assert bench_torch.check_gemm_replays(products, replay, numpy_list(products),
                                          "float64") <= 1e-15
    with pytest.raises(AssertionError, match="disagree on lstm_ref's products"):
        # the last product (dW[:, H:]) skipped: its output keeps the NaN it was filled with
        bench_torch.check_gemm_replays(products, replay, numpy_list(products[:-1]), "float64")
