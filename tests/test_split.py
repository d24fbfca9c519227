"""Source 003's split-weight cell (lstm_ref.split): conversions, equality with the fused cell at
b = 0, finite differences, and clear errors.

Oracles: the core cell and sequence (lstm_ref.cell, lstm_ref.sequence, themselves tested against
finite differences) under the permutation, an independent per-gate NumPy transcription of
source 003's forward equations, and central finite differences of the split functions.
"""

import numpy as np
import pytest

import lstm_ref
from lstm_ref.gradcheck import gradcheck, norm_rel_error

# (B, D, H): batch of one, D != H both ways, square
STEP_SHAPES = [(1, 3, 4), (3, 5, 2), (2, 2, 2), (4, 1, 3)]
# (T, B, D, H): T = 1, B = 1, D != H, long T (small B, D, H)
SEQ_SHAPES = [(1, 3, 2, 4), (3, 2, 4, 5), (4, 1, 3, 3), (50, 1, 2, 3)]


def fused_rows_in_split_order(H):
    """Independent of lstm_ref.split: the fused row of each split row, by gate name."""
    fused = {g: np.arange(k * H, (k + 1) * H) for k, g in enumerate("fiog")}
    return np.concatenate([fused[g] for g in "gifo"])  # source 003: a(=g), i, f, o


def make_step(B, D, H, seed=0):
    rng = np.random.default_rng(seed)
    W_fused = 0.8 * rng.standard_normal((4 * H, H + D))
    W, U = lstm_ref.fused_to_split(W_fused)
    arrays = dict(x=rng.standard_normal((B, D)), h_prev=rng.standard_normal((B, H)),
                  c_prev=rng.standard_normal((B, H)), W=W.copy(), U=U.copy())
    return rng, W_fused, arrays


def make_seq(T, B, D, H, seed=0):
    rng = np.random.default_rng(seed)
    W_fused = 0.8 * rng.standard_normal((4 * H, H + D))
    W, U = lstm_ref.fused_to_split(W_fused)
    arrays = dict(x=rng.standard_normal((T, B, D)), h0=rng.standard_normal((B, H)),
                  c0=rng.standard_normal((B, H)), W=W.copy(), U=U.copy())
    return rng, W_fused, arrays


def assert_close(a, b, name, rtol=1e-12, atol=1e-14):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=name)


# ------------------------------------------------------------------ conversions

def test_split_gates_is_source_003s_order():
    assert lstm_ref.SPLIT_GATES == ("g", "i", "f", "o")
    assert sorted(lstm_ref.SPLIT_GATES) == sorted(lstm_ref.GATES)


@pytest.mark.parametrize("D, H", [(3, 2), (1, 4), (2, 2), (5, 1)])
def test_fused_to_split_blocks_by_gate_and_column(D, H):
    rng = np.random.default_rng(1)
    W_fused = rng.standard_normal((4 * H, H + D))
    W, U = lstm_ref.fused_to_split(W_fused)
    assert W.shape == (4 * H, D) and U.shape == (4 * H, H)
    per_gate = lstm_ref.split_weight_by_gate(W_fused)._asdict()
    for k, gate in enumerate("gifo"):
        rows = slice(k * H, (k + 1) * H)
        np.testing.assert_array_equal(W[rows], per_gate[gate][:, H:])  # acts on x
        np.testing.assert_array_equal(U[rows], per_gate[gate][:, :H])  # acts on h_prev


@pytest.mark.parametrize("D, H", [(3, 2), (1, 4), (2, 2)])
def test_fused_to_split_is_theta_equals_P_row_W_P_col_transposed(D, H):
    rng = np.random.default_rng(2)
    W_fused = rng.standard_normal((4 * H, H + D))
    P_row = np.eye(4 * H)[fused_rows_in_split_order(H)]  # Â = P_row a
    P_col = np.eye(H + D)[np.r_[np.arange(H, H + D), np.arange(H)]]  # I = [x; h] = P_col z
    W, U = lstm_ref.fused_to_split(W_fused)
    np.testing.assert_array_equal(np.concatenate([W, U], axis=1), P_row @ W_fused @ P_col.T)


@pytest.mark.parametrize("D, H", [(3, 2), (1, 4), (2, 2), (4, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conversions_are_inverse_both_ways(D, H, dtype):
    rng = np.random.default_rng(3)
    W_fused = rng.standard_normal((4 * H, H + D)).astype(dtype)
    W = rng.standard_normal((4 * H, D)).astype(dtype)
    U = rng.standard_normal((4 * H, H)).astype(dtype)
    back = lstm_ref.split_to_fused(*lstm_ref.fused_to_split(W_fused))
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, W_fused)
    params = lstm_ref.fused_to_split(lstm_ref.split_to_fused(W, U))
    assert isinstance(params, lstm_ref.SplitParams)
    np.testing.assert_array_equal(params.W, W)
    np.testing.assert_array_equal(params.U, U)


def test_conversions_do_not_share_memory_with_their_input():
    _, W_fused, _ = make_step(2, 3, 2)
    W, U = lstm_ref.fused_to_split(W_fused)
    assert not np.shares_memory(W, W_fused) and not np.shares_memory(U, W_fused)
    fused = lstm_ref.split_to_fused(W, U)
    assert not np.shares_memory(fused, W) and not np.shares_memory(fused, U)


# ------------------------------------------------------------------ one step

@pytest.mark.parametrize("B, D, H", STEP_SHAPES)
def test_step_forward_is_source_003s_equations(B, D, H):
    _, _, p = make_step(B, D, H, seed=4)
    h, c, cache = lstm_ref.split_step_forward(**p)

    def sig(u):
        return 1 / (1 + np.exp(-u))

    blocks = [slice(k * H, (k + 1) * H) for k in range(4)]  # a, i, f, o
    W_a, W_i, W_f, W_o = (p["W"][r] for r in blocks)
    U_a, U_i, U_f, U_o = (p["U"][r] for r in blocks)
    x, hp = p["x"], p["h_prev"]
    a = np.tanh(x @ W_a.T + hp @ U_a.T)
    i = sig(x @ W_i.T + hp @ U_i.T)
    f = sig(x @ W_f.T + hp @ U_f.T)
    o = sig(x @ W_o.T + hp @ U_o.T)
    c_ref = a * i + p["c_prev"] * f
    assert_close(c, c_ref, "c")
    assert_close(h, np.tanh(c_ref) * o, "h")
    for name, ref in dict(a=a, i=i, f=f, o=o, tanh_c=np.tanh(c_ref)).items():
        assert_close(getattr(cache, name), ref, name)


@pytest.mark.parametrize("B, D, H", STEP_SHAPES)
def test_step_equals_the_fused_cell_with_zero_bias(B, D, H):
    rng, W_fused, p = make_step(B, D, H, seed=5)
    b0 = np.zeros(4 * H)
    h, c, cache = lstm_ref.split_step_forward(**p)
    h_ref, c_ref, cache_ref = lstm_ref.lstm_step_forward(p["x"], p["h_prev"], p["c_prev"],
                                                         W_fused, b0)
    assert_close(h, h_ref, "h")
    assert_close(c, c_ref, "c")
    dh, dc_next = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    g = lstm_ref.split_step_backward(dh, dc_next, cache)
    ref = lstm_ref.lstm_step_backward(dh, dc_next, cache_ref)
    for name in ("dx", "dh_prev", "dc_prev"):
        assert_close(getattr(g, name), getattr(ref, name), name)
    # parameter gradients: both directions of the conversion
    assert_close(lstm_ref.split_to_fused(g.dW, g.dU), ref.dW, "dW_fused")
    dW, dU = lstm_ref.fused_to_split(ref.dW)
    assert_close(g.dW, dW, "dW")
    assert_close(g.dU, dU, "dU")


@pytest.mark.parametrize("B, D, H", STEP_SHAPES)
def test_step_gradcheck_all_inputs(B, D, H):
    rng, _, p = make_step(B, D, H, seed=6)
    R_h, R_c = rng.standard_normal((B, H)), rng.standard_normal((B, H))

    def E(x, h_prev, c_prev, W, U):  # E = Σ R_h ⊙ h + Σ R_c ⊙ c
        h, c, _ = lstm_ref.split_step_forward(x, h_prev, c_prev, W, U)
        return float((R_h * h).sum() + (R_c * c).sum())

    _, _, cache = lstm_ref.split_step_forward(**p)
    g = lstm_ref.split_step_backward(R_h, R_c, cache)
    analytic = dict(x=g.dx, h_prev=g.dh_prev, c_prev=g.dc_prev, W=g.dW, U=g.dU)
    for name, d in analytic.items():
        assert d.shape == p[name].shape, name
    report = gradcheck(E, p, analytic)
    report.assert_ok()
    assert report.tol == 1e-7


def test_gradcheck_would_catch_source_003s_candidate_derivative():
    # The test above can fail: with 003's "1 − tanh(â)" in place of 1 − a², dW is wrong.
    rng, _, p = make_step(2, 3, 2, seed=7)
    R_h, R_c = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    _, _, cache = lstm_ref.split_step_forward(**p)
    g = lstm_ref.split_step_backward(R_h, R_c, cache)
    a = cache.a
    dc = R_c + R_h * cache.o * (1 - cache.tanh_c**2)
    wrong_da_hat = dc * cache.i * (1 - a)  # 003 as written
    right_da_hat = dc * cache.i * (1 - a**2)
    wrong_dW = g.dW.copy()
    wrong_dW[:2] += (wrong_da_hat - right_da_hat).T @ p["x"]

    def E(x, h_prev, c_prev, W, U):
        h, c, _ = lstm_ref.split_step_forward(x, h_prev, c_prev, W, U)
        return float((R_h * h).sum() + (R_c * c).sum())

    assert not gradcheck(E, p, dict(W=wrong_dW)).ok


def test_step_dA_hat_sums_to_the_permuted_fused_db():
    rng, W_fused, p = make_step(3, 4, 2, seed=8)
    H = 2
    _, _, cache = lstm_ref.split_step_forward(**p)
    _, _, cache_ref = lstm_ref.lstm_step_forward(p["x"], p["h_prev"], p["c_prev"], W_fused,
                                                 np.zeros(4 * H))
    dh, dc_next = rng.standard_normal((3, H)), rng.standard_normal((3, H))
    db = lstm_ref.lstm_step_backward(dh, dc_next, cache_ref).db  # Σ_batch ∂J/∂a
    # a column of ones as an extra input: dW's column for it is Σ_batch dÂ
    ones = np.ones((3, 1))
    W1 = np.concatenate([p["W"], np.zeros((4 * H, 1))], axis=1)
    _, _, cache1 = lstm_ref.split_step_forward(np.concatenate([p["x"], ones], axis=1),
                                               p["h_prev"], p["c_prev"], W1, p["U"])
    dA_sum = lstm_ref.split_step_backward(dh, dc_next, cache1).dW[:, -1]
    assert_close(dA_sum, db[fused_rows_in_split_order(H)], "sum of dA_hat")


def test_step_float32_and_zero_upstream():
    _, _, p = make_step(2, 3, 4)
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    h, c, cache = lstm_ref.split_step_forward(**p32)
    assert h.dtype == np.float32 and c.dtype == np.float32
    g = lstm_ref.split_step_backward(np.ones((2, 4), np.float32), np.zeros((2, 4), np.float32),
                                     cache)
    assert all(d.dtype == np.float32 for d in g)
    _, _, cache64 = lstm_ref.split_step_forward(**p)
    zero = np.zeros((2, 4))
    for name, d in zip(lstm_ref.SplitStepGrads._fields,
                       lstm_ref.split_step_backward(zero, zero, cache64)):
        assert not np.any(d), name


# ------------------------------------------------------------------ the sequence

@pytest.mark.parametrize("T, B, D, H", SEQ_SHAPES)
def test_sequence_equals_the_fused_loop_with_zero_bias(T, B, D, H):
    rng, W_fused, p = make_seq(T, B, D, H, seed=9)
    b0 = np.zeros(4 * H)
    h, c, cache = lstm_ref.split_forward(**p)
    h_ref, c_ref, cache_ref = lstm_ref.lstm_forward(p["x"], p["h0"], p["c0"], W_fused, b0)
    assert h.shape == (T, B, H) and c.shape == (T, B, H)
    assert_close(h, h_ref, "h", rtol=1e-11, atol=1e-13)
    assert_close(c, c_ref, "c", rtol=1e-11, atol=1e-13)
    dh = rng.standard_normal((T, B, H))
    dh_T, dc_T = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    g = lstm_ref.split_backward(dh, cache, dh_T=dh_T, dc_T=dc_T)
    ref = lstm_ref.lstm_backward(dh, cache_ref, dh_T=dh_T, dc_T=dc_T)
    for name in ("dx", "dh0", "dc0"):
        assert_close(getattr(g, name), getattr(ref, name), name, rtol=1e-10, atol=1e-12)
    assert_close(lstm_ref.split_to_fused(g.dW, g.dU), ref.dW, "dW_fused", rtol=1e-10, atol=1e-12)
    dW, dU = lstm_ref.fused_to_split(ref.dW)
    assert_close(g.dW, dW, "dW", rtol=1e-10, atol=1e-12)
    assert_close(g.dU, dU, "dU", rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("T, B, D, H", SEQ_SHAPES)
def test_sequence_gradcheck_all_inputs(T, B, D, H):
    rng, _, p = make_seq(T, B, D, H, seed=10)
    R = rng.standard_normal((T, B, H))  # E = Σ R ⊙ h + Σ R_hT ⊙ h_T + Σ R_cT ⊙ c_T
    R_hT, R_cT = rng.standard_normal((B, H)), rng.standard_normal((B, H))

    def E(x, h0, c0, W, U):
        h, c, _ = lstm_ref.split_forward(x, h0, c0, W, U)
        return float((R * h).sum() + (R_hT * h[-1]).sum() + (R_cT * c[-1]).sum())

    _, _, cache = lstm_ref.split_forward(**p)
    g = lstm_ref.split_backward(R, cache, dh_T=R_hT, dc_T=R_cT)
    analytic = dict(x=g.dx, h0=g.dh0, c0=g.dc0, W=g.dW, U=g.dU)
    for name, d in analytic.items():
        assert d.shape == p[name].shape, name
    report = gradcheck(E, p, analytic)
    assert report.worst < 1e-7, str(report)


def test_T1_sequence_is_the_single_step():
    rng, _, p = make_seq(1, 3, 2, 4, seed=11)
    h, c, cache = lstm_ref.split_forward(**p)
    hs, cs, step_cache = lstm_ref.split_step_forward(p["x"][0], p["h0"], p["c0"], p["W"], p["U"])
    assert_close(h[0], hs, "h")
    assert_close(c[0], cs, "c")
    dh, dc = rng.standard_normal((1, 3, 4)), rng.standard_normal((3, 4))
    g = lstm_ref.split_backward(dh, cache, dc_T=dc)
    s = lstm_ref.split_step_backward(dh[0], dc, step_cache)
    for a, b, name in ((g.dx[0], s.dx, "dx"), (g.dh0, s.dh_prev, "dh0"), (g.dc0, s.dc_prev, "dc0"),
                       (g.dW, s.dW, "dW"), (g.dU, s.dU, "dU")):
        assert_close(a, b, name)


def test_dropping_the_recurrent_gradient_is_detected():
    # Source 003 takes ∂E/∂h^t "from the cost layer" only; the sweep needs U^T dÂ^{t+1} too.
    rng, _, p = make_seq(6, 2, 3, 2, seed=12)
    _, _, cache = lstm_ref.split_forward(**p)
    dh = rng.standard_normal((6, 2, 2))
    g = lstm_ref.split_backward(dh, cache)
    dW = np.zeros_like(p["W"])
    dc_next = np.zeros((2, 2))
    for t in reversed(range(6)):
        step = lstm_ref.split_step_backward(dh[t], dc_next, cache.steps[t])  # no dh_next
        dW += step.dW
        dc_next = step.dc_prev
    assert norm_rel_error(dW, g.dW) > 1e-3


def test_backward_does_not_modify_inputs_or_cache():
    rng, _, p = make_seq(3, 2, 3, 4)
    _, _, cache = lstm_ref.split_forward(**p)
    before = [[a.copy() for a in step] for step in cache.steps]
    dh = rng.standard_normal((3, 2, 4))
    dh_copy = dh.copy()
    lstm_ref.split_backward(dh, cache)
    for step, saved in zip(cache.steps, before):
        for a, b in zip(step, saved):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(dh, dh_copy)


# ------------------------------------------------------------------ bad input

def _good_step():
    _, _, p = make_step(2, 3, 4)
    return p


@pytest.mark.parametrize("call, exc, words", [
    (lambda: lstm_ref.fused_to_split(np.ones((7, 5))), ValueError,
     ["W_fused", "(4H, H+D)", "(7, 5)"]),
    (lambda: lstm_ref.fused_to_split(np.ones((8, 2))), ValueError,
     ["W_fused", "(4H, H+D)", "(8, 2)"]),
    (lambda: lstm_ref.fused_to_split(np.ones(8)), ValueError, ["W_fused", "2-D"]),
    (lambda: lstm_ref.fused_to_split(np.ones((8, 5), dtype=int)), TypeError,
     ["W_fused", "float32 or float64", "int64"]),
    (lambda: lstm_ref.fused_to_split([[1.0] * 5] * 8), TypeError, ["W_fused", "ndarray", "list"]),
    (lambda: lstm_ref.split_to_fused(np.ones((8, 3)), np.ones((8, 3))), ValueError,
     ["U", "(4H, H)", "(8, 2)", "(8, 3)"]),
    (lambda: lstm_ref.split_to_fused(np.ones((12, 3)), np.ones((8, 2))), ValueError,
     ["W", "(4H, D)", "(12, 3)", "H = 2 from U"]),
    (lambda: lstm_ref.split_to_fused(np.ones((8, 3), np.float32), np.ones((8, 2))), TypeError,
     ["U", "float32", "float64"]),
    (lambda: lstm_ref.split_to_fused(np.ones((8, 3)), "U"), TypeError, ["U", "ndarray", "str"]),
])
def test_conversion_errors_name_the_argument(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def test_step_and_sequence_errors_name_the_argument():
    p = _good_step()
    swapped = dict(p, W=p["U"], U=p["W"])  # W (4H, D) and U (4H, H) exchanged
    with pytest.raises(ValueError, match=r"^W: expected shape \(4H, D\) = \(16, 3\), got \(16, 4"):
        lstm_ref.split_step_forward(**swapped)
    with pytest.raises(ValueError, match=r"^U: expected shape \(4H, H\) = \(16, 4\)"):
        lstm_ref.split_step_forward(**dict(p, U=p["U"][:, :3]))
    with pytest.raises(TypeError, match=r"^x: expected dtype float32 or float64, got int64"):
        lstm_ref.split_step_forward(**dict(p, x=np.ones((2, 3), dtype=int)))
    with pytest.raises(ValueError, match=r"^c_prev: expected finite values"):
        lstm_ref.split_step_forward(**dict(p, c_prev=np.full((2, 4), np.nan)))
    _, _, cache = lstm_ref.split_step_forward(**p)
    with pytest.raises(TypeError, match=r"^cache: expected SplitStepCache, got tuple"):
        lstm_ref.split_step_backward(np.ones((2, 4)), np.ones((2, 4)), tuple(cache))
    with pytest.raises(ValueError, match=r"^dc_next: expected shape \(B, H\) = \(2, 4\)"):
        lstm_ref.split_step_backward(np.ones((2, 4)), np.ones((2, 3)), cache)
    with pytest.raises(TypeError, match=r"^dh: expected dtype float64 \(the dtype of cache\)"):
        lstm_ref.split_step_backward(*(np.ones((2, 4), np.float32),) * 2, cache)
    _, _, sp = make_seq(3, 2, 3, 4)
    with pytest.raises(ValueError, match=r"^x: expected a 3-D array of shape \(T, B, D\)"):
        lstm_ref.split_forward(**dict(sp, x=sp["x"][0]))
    _, _, seq_cache = lstm_ref.split_forward(**sp)
    with pytest.raises(ValueError, match=r"^dh: expected shape \(T, B, H\) = \(3, 2, 4\)"):
        lstm_ref.split_backward(np.ones((2, 2, 4)), seq_cache)
    with pytest.raises(ValueError, match=r"^dc_T: expected shape \(B, H\) = \(2, 4\)"):
        lstm_ref.split_backward(np.ones((3, 2, 4)), seq_cache, dc_T=np.ones((4, 2)))
    with pytest.raises(TypeError, match=r"^cache: expected SplitSeqCache, got \S*SeqCache"):
        lstm_ref.split_backward(np.ones((3, 2, 4)), lstm_ref.SeqCache(steps=()))
    with pytest.raises(ValueError, match=r"^cache: expected the caches of T >= 1 steps"):
        lstm_ref.split_backward(np.ones((0, 2, 4)), lstm_ref.SplitSeqCache(steps=()))
