"""The fused fast path (lstm_ref.fused) computes what the plain path computes.

The plain loop over the step pair (lstm_ref.sequence) is itself checked
against finite differences in test_sequence.py; here the fused code is held
to it over odd shapes, both dtypes, with and without dh_T/dc_T and with a
reused workspace, and its own machinery (blocks of steps, buffers) is tested.
"""

import numpy as np
import pytest
from test_sequence import make_seq  # the same random sequences as the plain path's tests

import lstm_ref as L

# (T, B, D, H): T = 1 and B = 1 together, generic, B = 1, D != H, long T (T >= 50)
SHAPES = [(1, 1, 3, 2), (3, 2, 4, 5), (4, 1, 3, 3), (2, 3, 5, 2), (50, 1, 2, 2), (60, 3, 4, 6)]
# float32 sums round differently in the two paths; float64 agrees to a few ulps per step
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-5)}


def assert_same(plain, fused, dtype, what):
    for name, a, b in zip(plain._fields, plain, fused):
        assert a.dtype == b.dtype == dtype, f"{what} {name}"
        np.testing.assert_allclose(b, a, **TOL[dtype], err_msg=f"{what} {name}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("final", ["none", "dh_T", "dc_T", "both"])
@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_fused_equals_plain(T, B, D, H, final, dtype):
    rng, p = make_seq(T, B, D, H, seed=T + B, dtype=dtype)
    dh = rng.standard_normal((T, B, H)).astype(dtype)
    extra = {}
    if final in ("dh_T", "both"):
        extra["dh_T"] = rng.standard_normal((B, H)).astype(dtype)
    if final in ("dc_T", "both"):
        extra["dc_T"] = rng.standard_normal((B, H)).astype(dtype)
    h, c, cache = L.lstm_forward(**p)
    g = L.lstm_backward(dh, cache, **extra)
    hf, cf, cache_f = L.fused_lstm_forward(**p)
    gf = L.fused_lstm_backward(dh, cache_f, **extra)
    np.testing.assert_allclose(hf, h, **TOL[dtype], err_msg="h")
    np.testing.assert_allclose(cf, c, **TOL[dtype], err_msg="c")
    assert_same(g, gf, dtype, "fresh")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("T, B, D, H", [(1, 1, 3, 2), (4, 3, 5, 2), (55, 2, 3, 4)])
def test_fused_with_a_reused_workspace_equals_plain(T, B, D, H, dtype):
    rng = np.random.default_rng(100 + T)
    ws = L.fused_workspace(T, B, D, H, dtype=dtype)
    for trial in range(3):  # later calls overwrite the earlier calls' buffers
        _, p = make_seq(T, B, D, H, seed=trial, dtype=dtype)
        dh = rng.standard_normal((T, B, H)).astype(dtype)
        dc_T = rng.standard_normal((B, H)).astype(dtype)
        h, c, cache = L.lstm_forward(**p)
        g = L.lstm_backward(dh, cache, dc_T=dc_T)
        hw, cw, cache_w = L.fused_lstm_forward(**p, work=ws)
        np.testing.assert_allclose(hw, h, **TOL[dtype])
        np.testing.assert_allclose(cw, c, **TOL[dtype])
        gw = L.fused_lstm_backward(dh, cache_w, dc_T=dc_T, work=ws)
        assert np.shares_memory(hw, ws.h_all) and np.shares_memory(gw.dW, ws.dW)
        assert_same(g, gw, dtype, f"trial {trial}")


def test_fused_backward_does_not_modify_inputs_or_cache():
    rng, p = make_seq(3, 2, 3, 4)
    _, _, cache = L.fused_lstm_forward(**p)
    before = [a.copy() for a in cache]
    dh = rng.standard_normal((3, 2, 4))
    dh_copy, dc_T = dh.copy(), rng.standard_normal((2, 4))
    dc_copy = dc_T.copy()
    L.fused_lstm_backward(dh, cache, dc_T=dc_T)
    for a, b in zip(cache, before):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(dh, dh_copy)
    np.testing.assert_array_equal(dc_T, dc_copy)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_saturated_gates_no_warnings(dtype):
    # Pre-activations of +-1e4: exp overflows internally, which must stay silent.
    rng, p = make_seq(3, 2, 2, 3, dtype=dtype)
    p["W"] = (p["W"] * 1e4).astype(dtype)
    h, c, cache = L.fused_lstm_forward(**p)
    assert np.all(np.isfinite(h)) and np.all(np.isfinite(c))
    g = L.fused_lstm_backward(np.ones_like(h), cache)
    assert all(np.all(np.isfinite(d)) for d in g)
    hp, cp, _ = L.lstm_forward(**p)
    np.testing.assert_allclose(h, hp, **TOL[dtype])


def test_cache_replays_the_forward_gemms():
    rng, p = make_seq(4, 3, 2, 5, seed=5)
    h, c, cache = L.fused_lstm_forward(**p)
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
    import lstm_ref.fused as seq

    T, B, D, H = 7, 2, 3, 4
    rng, p = make_seq(T, B, D, H, seed=6)
    dh = rng.standard_normal((T, B, H))
    dc_T = rng.standard_normal((B, H))

    def run():
        h, c, cache = L.fused_lstm_forward(**p)
        return (h.copy(), c.copy()), L.fused_lstm_backward(dh, cache, dc_T=dc_T)

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
    ws = L.fused_workspace(T, B, D, H, dtype=dtype)
    for trial in range(2):  # the second call overwrites the first call's buffers
        x = rng.standard_normal((T, B, D)).astype(dtype)
        h0, c0 = (rng.standard_normal((B, H)).astype(dtype) for _ in range(2))
        p = L.init_lstm_params(D, H, rng, dtype=dtype)
        dh = rng.standard_normal((T, B, H)).astype(dtype)
        h, c, cache = L.fused_lstm_forward(x, h0, c0, p.W, p.b)
        g = L.fused_lstm_backward(dh, cache)
        hw, cw, cache_w = L.fused_lstm_forward(x, h0, c0, p.W, p.b, work=ws)
        gw = L.fused_lstm_backward(dh, cache_w, work=ws)
        assert np.shares_memory(hw, ws.h_all) and np.shares_memory(gw.dW, ws.dW)
        for a, b_ in [(h, hw), (c, cw), *zip(g, gw)]:
            assert a.dtype == b_.dtype == dtype
            np.testing.assert_array_equal(a, b_)


def test_workspace_of_the_wrong_size_or_dtype_is_named():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5))
    h0 = c0 = np.zeros((3, 2))
    p = L.init_lstm_params(5, 2, rng)
    with pytest.raises(
        ValueError, match=r"work\.h_all: expected shape \(5, 3, 2\) .* got \(6, 3, 2\)"
    ):
        L.fused_lstm_forward(x, h0, c0, p.W, p.b, work=L.fused_workspace(5, 3, 5, 2))
    with pytest.raises(TypeError, match=r"work\.h_all: expected dtype float64 .* got float32"):
        L.fused_lstm_forward(
            x, h0, c0, p.W, p.b, work=L.fused_workspace(4, 3, 5, 2, dtype=np.float32)
        )
    with pytest.raises(TypeError, match="work: expected FusedWorkspace"):
        L.fused_lstm_forward(x, h0, c0, p.W, p.b, work={"h_all": None})
    with pytest.raises(ValueError, match=r"H: expected a positive int, got 0"):
        L.fused_workspace(4, 3, 5, 0)
    with pytest.raises(TypeError, match="dtype: expected float32 or float64, got int64"):
        L.fused_workspace(4, 3, 5, 2, dtype=np.int64)


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
    ws = L.fused_workspace(T, B, D, H)

    def peak_of(fn):
        tracemalloc.start()
        try:
            out = fn()
            return tracemalloc.get_traced_memory()[1], out
        finally:
            tracemalloc.stop()

    def call(work):
        _, _, cache = L.fused_lstm_forward(x, h0, c0, p.W, p.b, work=work)
        return L.fused_lstm_backward(dh, cache, work=work)

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
    ws = L.fused_workspace(T, B, D, H)
    h, c, _ = L.fused_lstm_forward(xs[0], np.zeros((B, H)), np.zeros((B, H)), p.W, p.b, work=ws)
    h0, c0 = h[-1], c[-1]  # views of ws.h_all and ws.c_all
    expected_h, expected_c, expected_cache = L.fused_lstm_forward(
        xs[1], h0.copy(), c0.copy(), p.W, p.b
    )
    expected = L.fused_lstm_backward(dh, expected_cache, dh_T=h0.copy(), dc_T=c0.copy())
    h, c, cache = L.fused_lstm_forward(xs[1], h0, c0, p.W, p.b, work=ws)
    np.testing.assert_array_equal(h, expected_h)
    np.testing.assert_array_equal(c, expected_c)
    # dh_T and dc_T that alias the workspace (here: its own h and c) are read before being
    # overwritten
    grads = L.fused_lstm_backward(dh, cache, dh_T=ws.h_all[0], dc_T=ws.c_all[0], work=ws)
    for name, a, b in zip(grads._fields, grads, expected):
        np.testing.assert_array_equal(a, b, err_msg=name)


# ------------------------------------- a_in (an extra pre-activation term) and D = 0

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("T, B, D, H", [(1, 1, 0, 2), (3, 2, 0, 5), (4, 1, 3, 3), (55, 3, 0, 4),
                                        (6, 2, 4, 2)])
@pytest.mark.parametrize("use_work", [False, True], ids=["fresh", "workspace"])
def test_fused_with_a_in_equals_the_family_path(T, B, D, H, dtype, use_work):
    rng = np.random.default_rng(31 + T + D)
    cfg = L.LSTMConfig()
    p = L.init_family_params(cfg, D, H, rng, dtype=dtype)
    x = rng.standard_normal((T, B, D)).astype(dtype)
    h0, c0 = rng.standard_normal((2, B, H)).astype(dtype)
    a_in = rng.standard_normal((T, B, 4 * H)).astype(dtype)
    dh = rng.standard_normal((T, B, H)).astype(dtype)
    dc_T = rng.standard_normal((B, H)).astype(dtype)
    h, c, cache = L.family_forward(x, h0, c0, p, cfg, a_in=a_in)
    g = L.family_backward(dh, cache, dc_T=dc_T)
    ws = L.fused_workspace(T, B, D, H, dtype=dtype) if use_work else None
    hf, cf, cache_f = L.fused_lstm_forward(x, h0, c0, p.W, p.b, a_in=a_in, work=ws)
    np.testing.assert_allclose(hf, h, **TOL[dtype], err_msg="h")
    np.testing.assert_allclose(cf, c, **TOL[dtype], err_msg="c")
    gf = L.fused_lstm_backward(dh, cache_f, dc_T=dc_T, work=ws)
    for name in gf._fields:  # dx (T, B, D) included, also when D = 0
        a, b = getattr(g, name), getattr(gf, name)
        assert a.shape == b.shape and a.dtype == b.dtype == dtype, name
        np.testing.assert_allclose(b, a, **TOL[dtype], err_msg=name)
    if use_work:  # the pre-activation gradient, dJ/da_in, is in the workspace
        np.testing.assert_allclose(ws.da, g.da, **TOL[dtype], err_msg="da")


def test_fused_a_in_of_zeros_is_no_a_in():
    rng, p = make_seq(3, 2, 3, 4, seed=2)
    h, c, _ = L.fused_lstm_forward(**p)
    h2, c2, _ = L.fused_lstm_forward(**p, a_in=np.zeros((3, 2, 16)))
    np.testing.assert_array_equal(h2, h)
    np.testing.assert_array_equal(c2, c)


def test_fused_a_in_and_no_dense_input_errors():
    rng, p = make_seq(3, 2, 3, 4, seed=2)
    with pytest.raises(ValueError, match=r"a_in: expected shape \(T, B, 4H\) = \(3, 2, 16\), "
                                         r"got \(3, 2, 12\)"):
        L.fused_lstm_forward(**p, a_in=np.zeros((3, 2, 12)))
    with pytest.raises(TypeError, match=r"a_in: expected dtype float64 \(the dtype of x\)"):
        L.fused_lstm_forward(**p, a_in=np.zeros((3, 2, 16), np.float32))
    with pytest.raises(ValueError, match=r"D: expected an int >= 0, got -1"):
        L.fused_workspace(3, 2, -1, 4)
    ws = L.fused_workspace(3, 2, 0, 4)
    assert ws.dx.shape == (3, 2, 0) and ws.W_s.shape == (16, 4)
    # x without columns against a W with input columns: named
    with pytest.raises(ValueError, match=r"W: expected shape \(4H, H\+D\) = \(16, 4\), "
                                         r"got \(16, 7\)"):
        L.fused_lstm_forward(np.zeros((3, 2, 0)), p["h0"], p["c0"], p["W"], p["b"])


def test_with_a_workspace_a_call_with_a_in_allocates_no_array_of_batch_size():
    import tracemalloc

    T, B, D, H = 2, 128, 0, 512
    rng = np.random.default_rng(7)
    p = L.init_family_params(L.LSTMConfig(), D, H, rng)
    x = np.zeros((T, B, D))
    h0, c0 = np.zeros((B, H)), np.zeros((B, H))
    a_in = rng.standard_normal((T, B, 4 * H))
    dh = rng.standard_normal((T, B, H))
    ws = L.fused_workspace(T, B, D, H)

    def call():
        _, _, cache = L.fused_lstm_forward(x, h0, c0, p.W, p.b, a_in=a_in, work=ws)
        return L.fused_lstm_backward(dh, cache, work=ws)

    call()  # first call: imports, caches of the validation helpers
    tracemalloc.start()
    try:
        call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < B * H * 8, f"peak {peak} bytes, a (B, H) array is {B * H * 8}"
