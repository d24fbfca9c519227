"""Whole-sequence forward and BPTT: finite differences, agreement with the step version."""

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


@pytest.mark.parametrize("T, B, D, H", SHAPES[:4])
def test_sequence_equals_looping_the_step(T, B, D, H):
    rng, p = make_seq(T, B, D, H, seed=1)
    h, c, cache = L.lstm_forward(**p)
    dh = rng.standard_normal((T, B, H))
    dc_T = rng.standard_normal((B, H))
    g = L.lstm_backward(dh, cache, dc_T=dc_T)

    h_prev, c_prev, caches = p["h0"], p["c0"], []
    for t in range(T):
        h_prev, c_prev, step_cache = L.lstm_step_forward(p["x"][t], h_prev, c_prev, p["W"], p["b"])
        caches.append(step_cache)
        np.testing.assert_allclose(h[t], h_prev, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(c[t], c_prev, rtol=1e-12, atol=1e-14)

    # Source 000's loop: dh_t += dh_next, dc_next carried, weights summed over t.
    dh_next, dc_next = np.zeros((B, H)), dc_T
    dW, db, dx = 0, 0, np.zeros_like(p["x"])
    for t in reversed(range(T)):
        s = L.lstm_step_backward(dh[t] + dh_next, dc_next, caches[t])
        dh_next, dc_next = s.dh_prev, s.dc_prev
        dW, db, dx[t] = dW + s.dW, db + s.db, s.dx
    for name, ours, ref in [("dx", g.dx, dx), ("dh0", g.dh0, dh_next), ("dc0", g.dc0, dc_next),
                            ("dW", g.dW, dW), ("db", g.db, db)]:
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-13, err_msg=name)


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
    before = [a.copy() for a in cache]
    dh = rng.standard_normal((3, 2, 4))
    dh_copy, dc_T = dh.copy(), rng.standard_normal((2, 4))
    dc_copy = dc_T.copy()
    L.lstm_backward(dh, cache, dc_T=dc_T)
    for a, b in zip(cache, before):
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
    # Pre-activations of +-1e4: exp overflows internally, which must stay silent.
    rng, p = make_seq(3, 2, 2, 3, dtype=dtype)
    p["W"] = (p["W"] * 1e4).astype(dtype)
    h, c, cache = L.lstm_forward(**p)
    assert np.all(np.isfinite(h)) and np.all(np.isfinite(c))
    g = L.lstm_backward(np.ones_like(h), cache)
    assert all(np.all(np.isfinite(d)) for d in g)


def test_cache_replays_the_forward_gemms():
    rng, p = make_seq(4, 3, 2, 5, seed=5)
    h, c, cache = L.lstm_forward(**p)
    T, B, D = p["x"].shape
    H = 5
    a = (p["x"].reshape(T * B, D) @ cache.W_x.T).reshape(T, B, 4 * H) + p["b"]
    a += cache.h_prev_all @ cache.W_h.T
    f, i, o, g = L.split_gates(cache.gates)
    np.testing.assert_allclose(f, L.sigmoid(L.split_gates(a).f), rtol=1e-13)
    np.testing.assert_allclose(g, np.tanh(L.split_gates(a).g), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(cache.h_all[1:], h)
    np.testing.assert_array_equal(cache.h_all[0], p["h0"])


@pytest.mark.parametrize("steps", [1, 2, 3, 7, 100])
def test_blocks_of_steps_give_the_same_results(monkeypatch, steps):
    # The backward computes its local factors and db in blocks of `steps`
    # steps; any block size (dividing T or not) must give the same numbers.
    # Only db is summed in a block-dependent order.
    import lstm_ref.sequence as seq

    T, B, D, H = 7, 2, 3, 4
    rng, p = make_seq(T, B, D, H, seed=6)
    dh = rng.standard_normal((T, B, H))
    dc_T = rng.standard_normal((B, H))

    def run():
        h, c, cache = L.lstm_forward(**p)
        return (h.copy(), c.copy()), L.lstm_backward(dh, cache, dc_T=dc_T)

    (h_ref, c_ref), reference = run()
    monkeypatch.setattr(seq, "_BLOCK_ELEMENTS", steps * B * 4 * H)
    assert seq._step_blocks(T, B, H)[0] == slice(0, min(steps, T))
    (h, c), blocked = run()
    np.testing.assert_array_equal(h, h_ref)
    np.testing.assert_array_equal(c, c_ref)
    for name, a, b in zip(reference._fields, reference, blocked):
        if name == "db":
            np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15, err_msg=name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)


# ------------------------------------------------------------------ workspace

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_workspace_gives_the_same_results_and_can_be_reused(dtype):
    rng = np.random.default_rng(21)
    T, B, D, H = 4, 3, 5, 2
    ws = L.lstm_workspace(T, B, D, H, dtype=dtype)
    for trial in range(2):  # the second call overwrites the first call's buffers
        x = rng.standard_normal((T, B, D)).astype(dtype)
        h0, c0 = (rng.standard_normal((B, H)).astype(dtype) for _ in range(2))
        p = L.init_lstm_params(D, H, rng, dtype=dtype)
        dh = rng.standard_normal((T, B, H)).astype(dtype)
        h, c, cache = L.lstm_forward(x, h0, c0, p.W, p.b)
        g = L.lstm_backward(dh, cache)
        hw, cw, cache_w = L.lstm_forward(x, h0, c0, p.W, p.b, work=ws)
        gw = L.lstm_backward(dh, cache_w, work=ws)
        assert np.shares_memory(hw, ws.h_all) and np.shares_memory(gw.dW, ws.dW)
        for a, b_ in [(h, hw), (c, cw), *zip(g, gw)]:
            assert a.dtype == b_.dtype == dtype
            np.testing.assert_array_equal(a, b_)


def test_workspace_of_the_wrong_size_or_dtype_is_named():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5))
    h0 = c0 = np.zeros((3, 2))
    p = L.init_lstm_params(5, 2, rng)
    with pytest.raises(ValueError, match=r"work\.h_all: expected shape \(5, 3, 2\) .* got \(6, 3, 2\)"):
        L.lstm_forward(x, h0, c0, p.W, p.b, work=L.lstm_workspace(5, 3, 5, 2))
    with pytest.raises(TypeError, match=r"work\.h_all: expected dtype float64 .* got float32"):
        L.lstm_forward(x, h0, c0, p.W, p.b, work=L.lstm_workspace(4, 3, 5, 2, dtype=np.float32))
    with pytest.raises(TypeError, match="work: expected SeqWorkspace"):
        L.lstm_forward(x, h0, c0, p.W, p.b, work={"h_all": None})
    with pytest.raises(ValueError, match=r"H: expected a positive int, got 0"):
        L.lstm_workspace(4, 3, 5, 0)
    with pytest.raises(TypeError, match="dtype: expected float32 or float64, got int64"):
        L.lstm_workspace(4, 3, 5, 2, dtype=np.int64)


def test_with_a_workspace_a_call_allocates_no_array_of_batch_size():
    # Every (B, H) or larger buffer of either pass comes from the workspace.
    # NumPy reports its allocations to tracemalloc; the peak of one forward +
    # backward stays below the size of a single (B, H) array. (NumPy's own
    # iteration buffers, up to 8192 entries per operand of a strided ufunc,
    # are temporary and smaller than that.)
    import tracemalloc

    T, B, D, H = 2, 128, 4, 512
    rng = np.random.default_rng(7)
    p = L.init_lstm_params(D, H, rng)
    x = rng.standard_normal((T, B, D))
    h0, c0 = np.zeros((B, H)), np.zeros((B, H))
    dh = rng.standard_normal((T, B, H))
    ws = L.lstm_workspace(T, B, D, H)

    def peak_of(fn):
        tracemalloc.start()
        try:
            out = fn()
            return tracemalloc.get_traced_memory()[1], out
        finally:
            tracemalloc.stop()

    def call(work):
        _, _, cache = L.lstm_forward(x, h0, c0, p.W, p.b, work=work)
        return L.lstm_backward(dh, cache, work=work)

    call(ws)  # first call: imports, caches of the validation helpers
    peak, grads = peak_of(lambda: call(ws))
    bh_bytes = B * H * 8
    assert peak < bh_bytes, f"peak {peak} bytes, a (B, H) array is {bh_bytes}"
    for name, g in zip(grads._fields, grads):
        assert any(np.shares_memory(g, buf) for buf in ws), name
    # without a workspace the same call does allocate them (the check can fail)
    peak_fresh, _ = peak_of(lambda: call(None))
    assert peak_fresh > 10 * bh_bytes


def test_workspace_state_carried_between_chunks():
    # Truncated BPTT carries h_T, c_T of one chunk into the next as h0, c0;
    # with a workspace those are views of its own buffers, which the next
    # call overwrites. The results must equal a call on fresh arrays.
    T, B, D, H = 3, 2, 4, 5
    rng = np.random.default_rng(11)
    p = L.init_lstm_params(D, H, rng)
    xs = rng.standard_normal((2, T, B, D))
    dh = rng.standard_normal((T, B, H))
    ws = L.lstm_workspace(T, B, D, H)
    h, c, _ = L.lstm_forward(xs[0], np.zeros((B, H)), np.zeros((B, H)), p.W, p.b, work=ws)
    h0, c0 = h[-1], c[-1]  # views of ws.h_all and ws.c_all
    expected_h, expected_c, expected_cache = L.lstm_forward(xs[1], h0.copy(), c0.copy(), p.W, p.b)
    expected = L.lstm_backward(dh, expected_cache, dh_T=h0.copy(), dc_T=c0.copy())
    h, c, cache = L.lstm_forward(xs[1], h0, c0, p.W, p.b, work=ws)
    np.testing.assert_array_equal(h, expected_h)
    np.testing.assert_array_equal(c, expected_c)
    # dh_T and dc_T that alias the workspace (here: its own h and c) are read before being overwritten
    grads = L.lstm_backward(dh, cache, dh_T=ws.h_all[0], dc_T=ws.c_all[0], work=ws)
    for name, a, b in zip(grads._fields, grads, expected):
        np.testing.assert_array_equal(a, b, err_msg=name)
