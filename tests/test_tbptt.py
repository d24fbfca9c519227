"""Truncated BPTT (lstm_ref.tbptt): full BPTT when k2 >= T, chunk-by-chunk oracle, surrogate FD.

Oracles, independent of the implementation (which loops over the step pair):
* lstm_ref.lstm_backward on the whole sequence (k2 >= T);
* a brute force: for every window, lstm_forward again from the carried state and
  lstm_backward with the chunk's dh (windows listed by a separate expression);
* central differences of the surrogate loss whose exact gradient BPTT(k1, k2) is:
  every window runs forward from its carried state, held constant.
"""

import numpy as np
import pytest

import lstm_ref as L
from lstm_ref.gradcheck import gradcheck
from lstm_ref.tbptt import TBPTTWindow, tbptt_windows, truncated_backward, truncation_gap

# (T, B, D, H): T = 1 and B = 1, D != H, a prime T (partial last chunks), B > H
SHAPES = [(1, 1, 2, 3), (5, 2, 3, 4), (7, 1, 2, 2), (6, 3, 4, 2)]


def make_problem(T, B, D, H, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    W, b = L.init_lstm_params(D, H, rng)
    p = dict(
        x=rng.standard_normal((T, B, D)),
        h0=rng.standard_normal((B, H)),
        c0=rng.standard_normal((B, H)),
        W=2 * W,
        b=b + 0.3 * rng.standard_normal(4 * H),
    )
    p = {k: v.astype(dtype) for k, v in p.items()}
    dh = rng.standard_normal((T, B, H)).astype(dtype)
    return p, dh


def windows_by_hand(T, k1, k2):
    """(first, start, end) per sweep, from a different expression than the module's."""
    ends = [e for e in range(1, T + 1) if e % k1 == 0 or e == T]
    return [(max(0, e - k2), e - k1 if e % k1 == 0 else e - e % k1, e) for e in ends]


def brute_force(p, dh, k1, k2):
    """Every window separately: forward again from the carried state, lstm_backward."""
    T, B, D = p["x"].shape
    H = p["h0"].shape[1]
    h_all, c_all, _ = L.lstm_forward(**p)  # the carried states h_1..h_T, c_1..c_T
    dx, dW, db = np.zeros((T, B, D)), np.zeros_like(p["W"]), np.zeros_like(p["b"])
    dh0, dc0 = np.zeros((B, H)), np.zeros((B, H))
    for first, start, end in windows_by_hand(T, k1, k2):
        h_w = p["h0"] if first == 0 else h_all[first - 1]
        c_w = p["c0"] if first == 0 else c_all[first - 1]
        _, _, cache = L.lstm_forward(p["x"][first:end], h_w, c_w, p["W"], p["b"])
        d = np.zeros((end - first, B, H))
        d[start - first:] = dh[start:end]  # only the chunk's losses
        g = L.lstm_backward(d, cache)  # dh_T = dc_T = 0: nothing from later chunks
        dx[first:end] += g.dx
        dW += g.dW
        db += g.db
        if first == 0:
            dh0 += g.dh0
            dc0 += g.dc0
    return L.SeqGrads(dx=dx, dh0=dh0, dc0=dc0, dW=dW, db=db)


def assert_grads_close(a, b, rtol=1e-12, atol=1e-13):
    for name, u, v in zip(L.SeqGrads._fields, a, b):
        assert u.shape == v.shape, name
        np.testing.assert_allclose(u, v, rtol=rtol, atol=atol, err_msg=name)


# ---------------------------------------------------------------- windows


def test_windows_by_hand():
    assert tbptt_windows(7, k1=3, k2=5) == (
        TBPTTWindow(0, 0, 3), TBPTTWindow(1, 3, 6), TBPTTWindow(2, 6, 7))
    assert tbptt_windows(6, k1=2, k2=2) == ((0, 0, 2), (2, 2, 4), (4, 4, 6))
    assert tbptt_windows(5, k1=1, k2=3) == (
        (0, 0, 1), (0, 1, 2), (0, 2, 3), (1, 3, 4), (2, 4, 5))
    assert tbptt_windows(1, k1=1, k2=1) == ((0, 0, 1),)
    assert tbptt_windows(4, k1=9, k2=9) == ((0, 0, 4),)  # k1 > T: one chunk
    ws = tbptt_windows(np.int64(4), k1=np.int64(2), k2=np.int64(3))
    assert ws == ((0, 0, 2), (1, 2, 4))
    assert all(type(n) is int for w in ws for n in w)  # plain ints, whatever came in


@pytest.mark.parametrize("T", [1, 2, 7, 12])
@pytest.mark.parametrize("k1, k2", [(1, 1), (1, 4), (2, 2), (3, 5), (5, 5), (4, 20)])
def test_windows_cover_each_step_once(T, k1, k2):
    ws = tbptt_windows(T, k1=k1, k2=k2)
    assert [tuple(w) for w in ws] == windows_by_hand(T, k1, k2)
    chunks = [t for w in ws for t in range(w.start, w.end)]
    assert chunks == list(range(T))  # every loss in exactly one chunk, in order
    for w in ws:
        assert 0 <= w.first <= w.start < w.end <= T
        assert w.end - w.first == min(k2, w.end)


# ---------------------------------------------------------------- against full BPTT


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_equals_full_bptt_when_k2_reaches_step_1(T, B, D, H):
    p, dh = make_problem(T, B, D, H, seed=1)
    _, _, cache = L.lstm_forward(**p)
    full = L.lstm_backward(dh, cache)
    for k1 in range(1, T + 1):
        for k2 in (T, T + 3):
            if k2 >= k1:
                assert_grads_close(truncated_backward(dh, cache, k1=k1, k2=k2), full)


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_one_chunk_is_lstm_backward_bit_for_bit(T, B, D, H):
    p, dh = make_problem(T, B, D, H, seed=2)
    _, _, cache = L.lstm_forward(**p)
    full = L.lstm_backward(dh, cache)
    for k1, k2 in ((T, T), (T + 1, T + 5)):
        g = truncated_backward(dh, cache, k1=k1, k2=k2)
        for name, u, v in zip(g._fields, g, full):
            np.testing.assert_array_equal(u, v, err_msg=name)


@pytest.mark.parametrize("T, B, D, H", [s for s in SHAPES if s[0] > 2])
def test_truncation_changes_the_gradient(T, B, D, H):
    # The test above could pass for an implementation that ignores k2: show that it does not.
    p, dh = make_problem(T, B, D, H, seed=3)
    _, _, cache = L.lstm_forward(**p)
    full = L.lstm_backward(dh, cache)
    g = truncated_backward(dh, cache, k1=1, k2=1)
    assert L.max_rel_error(g.dW, full.dW) > 1e-3
    assert L.max_rel_error(g.dx, full.dx) > 1e-3


# ---------------------------------------------------------------- independent oracles


CASES = [(1, 1), (1, 2), (2, 2), (2, 3), (3, 3), (2, 5), (4, 4), (3, 6)]


@pytest.mark.parametrize("T, B, D, H", SHAPES)
@pytest.mark.parametrize("k1, k2", CASES)
def test_equals_brute_force_over_windows(T, B, D, H, k1, k2):
    p, dh = make_problem(T, B, D, H, seed=4)
    _, _, cache = L.lstm_forward(**p)
    assert_grads_close(truncated_backward(dh, cache, k1=k1, k2=k2), brute_force(p, dh, k1, k2))


def test_k1_k2_one_by_hand():
    # k1 = k2 = 1: each loss backpropagated through its own step only, nothing carried.
    p, dh = make_problem(4, 2, 3, 2, seed=5)
    _, _, cache = L.lstm_forward(**p)
    g = truncated_backward(dh, cache, k1=1, k2=1)
    steps = [L.lstm_step_backward(dh[t], np.zeros((2, 2)), cache.steps[t]) for t in range(4)]
    for t in range(4):
        np.testing.assert_allclose(g.dx[t], steps[t].dx, rtol=1e-14, atol=0)
    np.testing.assert_allclose(g.dW, sum(s.dW for s in steps), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(g.db, sum(s.db for s in steps), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(g.dh0, steps[0].dh_prev, rtol=1e-14, atol=0)
    np.testing.assert_allclose(g.dc0, steps[0].dc_prev, rtol=1e-14, atol=0)


@pytest.mark.parametrize(
    "T, B, D, H, k1, k2",
    [(1, 1, 2, 3, 1, 1), (5, 2, 3, 2, 2, 2), (5, 2, 3, 2, 2, 3), (6, 1, 2, 3, 1, 4),
     (7, 2, 1, 2, 3, 5)],
)
def test_gradient_of_the_surrogate_by_finite_differences(T, B, D, H, k1, k2):
    p, dh = make_problem(T, B, D, H, seed=6)
    h_all, c_all, cache = L.lstm_forward(**p)
    h_const, c_const = h_all.copy(), c_all.copy()  # carried states: constants of the surrogate
    windows = windows_by_hand(T, k1, k2)

    def J_surrogate(x, h0, c0, W, b):
        J = 0.0
        for first, start, end in windows:
            h_w = h0 if first == 0 else h_const[first - 1]
            c_w = c0 if first == 0 else c_const[first - 1]
            h, _, _ = L.lstm_forward(x[first:end], h_w, c_w, W, b)
            J += float((dh[start:end] * h[start - first:]).sum())
        return J

    g = truncated_backward(dh, cache, k1=k1, k2=k2)
    analytic = dict(x=g.dx, h0=g.dh0, c0=g.dc0, W=g.dW, b=g.db)
    gradcheck(J_surrogate, p, analytic).assert_ok()


# ---------------------------------------------------------------- where the gradient reaches


@pytest.mark.parametrize("k1, k2", [(2, 2), (2, 3), (3, 5), (1, 4)])
def test_gradient_reaches_exactly_k2_steps_back(k1, k2):
    T, B, D, H = 9, 2, 3, 2
    p, _ = make_problem(T, B, D, H, seed=7)
    _, _, cache = L.lstm_forward(**p)
    rng = np.random.default_rng(8)
    for first, start, end in windows_by_hand(T, k1, k2):
        dh = np.zeros((T, B, H))
        dh[end - 1] = rng.standard_normal((B, H))  # a loss at the chunk's last step only
        g = truncated_backward(dh, cache, k1=k1, k2=k2)
        reached = [t for t in range(T) if np.any(g.dx[t])]
        assert reached == list(range(first, end)), (first, start, end)
        assert np.any(g.dh0) == (first == 0) and np.any(g.dc0) == (first == 0)


def test_disjoint_chunks_do_not_share_gradient():
    # k1 = k2 = 3: losses of the second chunk give no gradient to the first chunk or to h0, c0.
    p, dh = make_problem(6, 2, 3, 4, seed=9)
    dh[:3] = 0
    _, _, cache = L.lstm_forward(**p)
    g = truncated_backward(dh, cache, k1=3, k2=3)
    assert not np.any(g.dx[:3]) and not np.any(g.dh0) and not np.any(g.dc0)
    assert np.all(np.any(g.dx[3:] != 0, axis=(1, 2)))
    full = L.lstm_backward(dh, cache)
    assert np.any(full.dx[:3]) and np.any(full.dh0)  # full BPTT does reach back


# ---------------------------------------------------------------- the gap


def test_gap_decreases_with_k2_on_a_seeded_example():
    # Not a theorem (a longer window can add terms that point away from the full
    # gradient); true on this example, which the chapter plots.
    T, B, D, H = 16, 2, 3, 4
    p, dh = make_problem(T, B, D, H, seed=10)
    _, _, cache = L.lstm_forward(**p)
    for k1 in (1, 2, 4):
        gaps = [truncation_gap(dh, cache, k1, k2) for k2 in range(k1, T + 1)]
        assert gaps[0] > 1e-2
        assert all(b <= a + 1e-12 for a, b in zip(gaps, gaps[1:])), gaps
        assert gaps[-1] < 1e-13


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_gap_is_zero_when_k2_reaches_step_1(T, B, D, H):
    p, dh = make_problem(T, B, D, H, seed=11)
    _, _, cache = L.lstm_forward(**p)
    for k1 in range(1, T + 1):
        assert truncation_gap(dh, cache, k1, T) < 1e-13


def test_gap_by_hand():
    p, dh = make_problem(6, 2, 3, 4, seed=12)
    _, _, cache = L.lstm_forward(**p)
    full = L.lstm_backward(dh, cache)
    trunc = brute_force(p, dh, 2, 3)
    diff = np.concatenate([(trunc.dW - full.dW).ravel(), trunc.db - full.db])
    ref = np.concatenate([full.dW.ravel(), full.db])
    gap = truncation_gap(dh, cache, k1=2, k2=3)
    assert isinstance(gap, float)
    np.testing.assert_allclose(gap, np.linalg.norm(diff) / np.linalg.norm(ref), rtol=1e-10)


def test_gap_of_zero_upstream_is_undefined():
    p, dh = make_problem(3, 2, 3, 4, seed=13)
    _, _, cache = L.lstm_forward(**p)
    with pytest.raises(ValueError, match=r"dh: .*nonzero full gradient of \(W, b\)"):
        truncation_gap(np.zeros_like(dh), cache, 1, 2)


# ---------------------------------------------------------------- purity, dtypes


def test_inputs_and_cache_unchanged():
    p, dh = make_problem(5, 2, 3, 4, seed=14)
    _, _, cache = L.lstm_forward(**p)
    before = [[a.copy() for a in step] for step in cache.steps]
    dh_copy = dh.copy()
    truncated_backward(dh, cache, k1=2, k2=3)
    truncation_gap(dh, cache, 2, 3)
    np.testing.assert_array_equal(dh, dh_copy)
    for step, saved in zip(cache.steps, before):
        for a, b in zip(step, saved):
            np.testing.assert_array_equal(a, b)


def test_float32_close_to_float64():
    p64, dh64 = make_problem(6, 3, 4, 5, seed=15)
    p32 = {k: v.astype(np.float32) for k, v in p64.items()}
    _, _, cache64 = L.lstm_forward(**p64)
    _, _, cache32 = L.lstm_forward(**p32)
    g64 = truncated_backward(dh64, cache64, k1=2, k2=3)
    g32 = truncated_backward(dh64.astype(np.float32), cache32, k1=2, k2=3)
    for name, a, b in zip(g32._fields, g32, g64):
        assert a.dtype == np.float32, name
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4, err_msg=name)


# ---------------------------------------------------------------- validation


@pytest.fixture(scope="module")
def small():
    p, dh = make_problem(4, 2, 3, 5, seed=16)
    _, _, cache = L.lstm_forward(**p)
    return dh, cache


@pytest.mark.parametrize(
    "k1, k2, exc, msg",
    [
        (0, 2, ValueError, r"k1: expected a positive integer, got 0"),
        (-1, 2, ValueError, r"k1: expected a positive integer, got -1"),
        (2, 0, ValueError, r"k2: expected a positive integer, got 0"),
        (1.0, 2, TypeError, r"k1: expected a positive integer, got float"),
        (2, "3", TypeError, r"k2: expected a positive integer, got str"),
        (True, 2, TypeError, r"k1: expected a positive integer, got bool"),
        (3, 2, ValueError, r"k2: expected an integer >= k1 = 3, got 2"),
        (None, 2, TypeError, r"k1: expected a positive integer, got NoneType"),
    ],
)
def test_bad_k1_k2(small, k1, k2, exc, msg):
    dh, cache = small
    with pytest.raises(exc, match=msg):
        truncated_backward(dh, cache, k1=k1, k2=k2)
    with pytest.raises(exc, match=msg):
        truncation_gap(dh, cache, k1, k2)
    with pytest.raises(exc, match=msg):
        tbptt_windows(4, k1=k1, k2=k2)


def test_bad_T_for_windows():
    with pytest.raises(ValueError, match=r"T: expected a positive integer, got 0"):
        tbptt_windows(0, k1=1, k2=1)
    with pytest.raises(TypeError, match=r"T: expected a positive integer, got float"):
        tbptt_windows(3.0, k1=1, k2=1)


def test_bad_dh_and_cache(small):
    dh, cache = small
    cases = [
        (dh[:3], cache, ValueError,
         r"dh: expected shape \(T, B, H\) = \(4, 2, 5\), got \(3, 2, 5\)"),
        (dh[0], cache, ValueError, r"dh: expected a 3-D array of shape \(T, B, H\), got shape"),
        (dh.astype(np.float32), cache, TypeError,
         r"dh: expected dtype float64 \(the dtype of cache\), got float32"),
        (dh.astype(int), cache, TypeError, r"dh: expected dtype float32 or float64, got int"),
        (dh.tolist(), cache, TypeError, r"dh: expected a numpy.ndarray, got list"),
        (np.where(dh > 1, np.nan, dh), cache, ValueError, r"dh: expected finite values, got"),
        (dh, tuple(cache.steps), TypeError, r"cache: expected SeqCache, got tuple"),
        (dh, L.SeqCache(steps=()), ValueError, r"cache: expected the caches of T >= 1 steps"),
    ]
    for bad_dh, bad_cache, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            truncated_backward(bad_dh, bad_cache, k1=1, k2=2)
        with pytest.raises(exc, match=msg):
            truncation_gap(bad_dh, bad_cache, 1, 2)


def test_k1_k2_are_keyword_only(small):
    dh, cache = small
    with pytest.raises(TypeError):
        truncated_backward(dh, cache, 1, 2)
