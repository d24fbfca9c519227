"""The vanilla tanh RNN (lstm_ref.rnn): finite differences, a SymPy proof of BPTT, validation."""

import numpy as np
import pytest
import sympy as sp

from lstm_ref import verify
from lstm_ref.gradcheck import gradcheck
from lstm_ref.rnn import (
    RNNParams,
    RNNSeqCache,
    RNNSeqGrads,
    RNNStepCache,
    RNNStepGrads,
    init_rnn_params,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)

# (T, B, D, H): generic, T = 1, B = 1, D != H both ways, long T (small B, D, H)
SHAPES = [(3, 2, 4, 5), (1, 3, 2, 4), (4, 1, 3, 3), (2, 3, 5, 2), (30, 1, 2, 2)]


def make_seq(T, B, D, H, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    W, b = init_rnn_params(D, H, rng)
    arrays = dict(
        x=rng.standard_normal((T, B, D)),
        h0=rng.standard_normal((B, H)),
        W=2 * W,  # larger than the default: tanh' far from 1, a real test of (1 - h^2)
        b=0.3 * rng.standard_normal(H),
    )
    return rng, {k: v.astype(dtype) for k, v in arrays.items()}


# ---- the step ---------------------------------------------------------------


def test_step_forward_by_hand():
    # H = 2, D = 1, B = 1: h = tanh(W [h_prev; x] + b) written out entry by entry.
    W = np.array([[0.5, -1.0, 2.0], [0.25, 0.75, -0.5]])
    b = np.array([0.1, -0.2])
    h_prev = np.array([[0.3, -0.6]])
    x = np.array([[0.8]])
    h, cache = rnn_step_forward(x, h_prev, W, b)
    a0 = 0.5 * 0.3 + (-1.0) * (-0.6) + 2.0 * 0.8 + 0.1  # = 2.45
    a1 = 0.25 * 0.3 + 0.75 * (-0.6) + (-0.5) * 0.8 - 0.2  # = -0.975
    np.testing.assert_allclose(h, [[np.tanh(a0), np.tanh(a1)]], rtol=1e-15)
    np.testing.assert_array_equal(cache.z, [[0.3, -0.6, 0.8]])
    assert isinstance(cache, RNNStepCache) and cache.W is W


def test_step_backward_by_hand():
    # One step, B = 1, H = 1, D = 1: every number written out.
    W = np.array([[0.5, -2.0]])
    b = np.array([0.25])
    h, cache = rnn_step_forward(np.array([[1.5]]), np.array([[0.4]]), W, b)
    a = 0.5 * 0.4 - 2.0 * 1.5 + 0.25  # = -2.55
    dh = np.array([[3.0]])
    g = rnn_step_backward(dh, cache)
    da = 3.0 * (1 - np.tanh(a) ** 2)
    assert isinstance(g, RNNStepGrads)
    np.testing.assert_allclose(g.dW, [[da * 0.4, da * 1.5]], rtol=1e-14)
    np.testing.assert_allclose(g.db, [da], rtol=1e-14)
    np.testing.assert_allclose(g.dh_prev, [[da * 0.5]], rtol=1e-14)
    np.testing.assert_allclose(g.dx, [[da * -2.0]], rtol=1e-14)


@pytest.mark.parametrize("B, D, H", [(2, 4, 5), (1, 2, 3), (3, 3, 1), (1, 1, 1)])
def test_step_gradcheck(B, D, H):
    rng = np.random.default_rng(10 + B + D + H)
    arrays = dict(x=rng.standard_normal((B, D)), h_prev=rng.standard_normal((B, H)),
                  W=rng.standard_normal((H, H + D)), b=rng.standard_normal(H))
    U = rng.standard_normal((B, H))

    def J(x, h_prev, W, b):
        return float((U * rnn_step_forward(x, h_prev, W, b)[0]).sum())

    _, cache = rnn_step_forward(**arrays)
    g = rnn_step_backward(U, cache)
    analytic = dict(x=g.dx, h_prev=g.dh_prev, W=g.dW, b=g.db)
    for name, d in analytic.items():
        assert d.shape == arrays[name].shape, name
    gradcheck(J, arrays, analytic).assert_ok()


# ---- the sequence -------------------------------------------------------------


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_sequence_gradcheck_all_inputs(T, B, D, H):
    rng, arrays = make_seq(T, B, D, H, seed=T + B + D + H)
    U = rng.standard_normal((T, B, H))  # J = sum(U * h) + sum(U_T * h_T)
    U_T = rng.standard_normal((B, H))

    def J(x, h0, W, b):
        h, _ = rnn_forward(x, h0, W, b)
        return float((U * h).sum() + (U_T * h[-1]).sum())

    h, cache = rnn_forward(**arrays)
    assert h.shape == (T, B, H) and isinstance(cache, RNNSeqCache) and len(cache.steps) == T
    g = rnn_backward(U, cache, dh_T=U_T)
    assert isinstance(g, RNNSeqGrads)
    analytic = dict(x=g.dx, h0=g.dh0, W=g.dW, b=g.db)
    for name, d in analytic.items():
        assert d.shape == arrays[name].shape, name
    gradcheck(J, arrays, analytic).assert_ok()


def test_forward_equals_explicit_loop():
    _, p = make_seq(5, 2, 3, 4, seed=1)
    h, _ = rnn_forward(**p)
    W_h, W_x = p["W"][:, :4], p["W"][:, 4:]
    h_t = p["h0"]
    for t in range(5):  # h_t = tanh(W_h h_{t-1} + W_x x_t + b), rows as batch
        h_t = np.tanh(h_t @ W_h.T + p["x"][t] @ W_x.T + p["b"])
        np.testing.assert_allclose(h[t], h_t, rtol=1e-13, atol=1e-15)


def test_T1_equals_single_step():
    rng, p = make_seq(1, 3, 2, 4, seed=2)
    h, cache = rnn_forward(**p)
    hs, step_cache = rnn_step_forward(p["x"][0], p["h0"], p["W"], p["b"])
    np.testing.assert_array_equal(h[0], hs)
    dh = rng.standard_normal((1, 3, 4))
    g = rnn_backward(dh, cache)
    s = rnn_step_backward(dh[0], step_cache)
    np.testing.assert_array_equal(g.dx[0], s.dx)
    np.testing.assert_array_equal(g.dh0, s.dh_prev)
    np.testing.assert_array_equal(g.dW, s.dW)
    np.testing.assert_array_equal(g.db, s.db)


def test_dh_T_is_the_same_as_adding_to_last_upstream():
    rng, p = make_seq(3, 2, 3, 4, seed=3)
    _, cache = rnn_forward(**p)
    dh = rng.standard_normal((3, 2, 4))
    extra = rng.standard_normal((2, 4))
    dh2 = dh.copy()
    dh2[-1] += extra
    for a, b in zip(rnn_backward(dh, cache, dh_T=extra), rnn_backward(dh2, cache)):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-16)


def test_zero_upstream_gives_exact_zeros():
    _, p = make_seq(4, 2, 3, 5)
    _, cache = rnn_forward(**p)
    g = rnn_backward(np.zeros((4, 2, 5)), cache)
    for name, d in zip(g._fields, g):
        assert not np.any(d), name


def test_functions_do_not_modify_inputs_or_cache():
    rng, p = make_seq(3, 2, 3, 4)
    saved = {k: v.copy() for k, v in p.items()}
    _, cache = rnn_forward(**p)
    for k, v in p.items():
        np.testing.assert_array_equal(v, saved[k], err_msg=k)
    before = [[a.copy() for a in step] for step in cache.steps]
    dh, dh_T = rng.standard_normal((3, 2, 4)), rng.standard_normal((2, 4))
    dh_copy, dh_T_copy = dh.copy(), dh_T.copy()
    g = rnn_backward(dh, cache, dh_T=dh_T)
    for step, old in zip(cache.steps, before):
        for a, b in zip(step, old):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(dh, dh_copy)
    np.testing.assert_array_equal(dh_T, dh_T_copy)
    assert not np.shares_memory(g.dh0, dh_T) and not np.shares_memory(g.dW, p["W"])


def test_float32_close_to_float64():
    rng, p64 = make_seq(6, 3, 4, 5, seed=4)
    p32 = {k: v.astype(np.float32) for k, v in p64.items()}
    h32, cache32 = rnn_forward(**p32)
    h64, cache64 = rnn_forward(**p64)
    assert h32.dtype == np.float32
    np.testing.assert_allclose(h32, h64, rtol=1e-4, atol=1e-5)
    dh = rng.standard_normal((6, 3, 5))
    g32 = rnn_backward(dh.astype(np.float32), cache32)
    g64 = rnn_backward(dh, cache64)
    for name, a, b in zip(g32._fields, g32, g64):
        assert a.dtype == np.float32, name
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4, err_msg=name)


# ---- SymPy: the BPTT recursion, proved -----------------------------------------

T_SYM, H_SYM, D_SYM = 3, 2, 1


def _symbolic_rnn():
    """The forward pass for T = 3, H = 2, D = 1 in explicit symbols, with sympy.tanh."""
    W = sp.Matrix(H_SYM, H_SYM + D_SYM, lambda j, k: sp.Symbol(f"w{j}{k}"))
    b = sp.Matrix(H_SYM, 1, lambda j, _: sp.Symbol(f"b{j}"))
    h0 = sp.Matrix(H_SYM, 1, lambda j, _: sp.Symbol(f"h0_{j}"))
    xs = [sp.Matrix(D_SYM, 1, lambda j, _: sp.Symbol(f"x{t}_{j}")) for t in range(1, T_SYM + 1)]
    us = [sp.Matrix(H_SYM, 1, lambda j, _: sp.Symbol(f"u{t}_{j}")) for t in range(1, T_SYM + 1)]
    hs, zs = [h0], []
    for x_t in xs:  # h_t = tanh(W [h_{t-1}; x_t] + b)
        z = hs[-1].col_join(x_t)
        zs.append(z)
        hs.append((W * z + b).applyfunc(sp.tanh))
    J = sum((u.T * h)[0] for u, h in zip(us, hs[1:]))  # J = sum_t u_t . h_t
    return W, b, h0, xs, us, hs, zs, J


def _hand_bptt(W, us, hs, zs):
    """The hand recursion: δa_t = (u_t + W_h^T δa_{t+1}) ⊙ (1 - h_t²), δa_{T+1} = 0."""
    W_h, W_x = W[:, :H_SYM], W[:, H_SYM:]
    da = [None] * T_SYM
    da_next = sp.zeros(H_SYM, 1)
    for t in reversed(range(T_SYM)):  # hs[t + 1] is h_{t+1} in code index t
        dh = us[t] + W_h.T * da_next
        one_minus_h2 = hs[t + 1].applyfunc(lambda v: 1 - v**2)
        da[t] = dh.multiply_elementwise(one_minus_h2)
        da_next = da[t]
    dW = sum((da[t] * zs[t].T for t in range(T_SYM)), sp.zeros(H_SYM, H_SYM + D_SYM))
    db = sum(da, sp.zeros(H_SYM, 1))
    dh0 = W_h.T * da[0]
    dxs = [W_x.T * da[t] for t in range(T_SYM)]
    return dW, db, dh0, dxs


def test_sympy_proves_the_rnn_bptt_recursion():
    W, b, h0, xs, us, hs, zs, J = _symbolic_rnn()
    dW, db, dh0, dxs = _hand_bptt(W, us, hs, zs)
    grad = lambda M: M.applyfunc(lambda s: sp.diff(J, s))  # noqa: E731  SymPy's ∂J/∂M
    proofs = [
        verify.identity("RNN ∂J/∂W = Σ_t δa_t [h_{t-1}; x_t]ᵀ", grad(W), dW, verbose=False),
        verify.identity("RNN ∂J/∂b = Σ_t δa_t", grad(b), db, verbose=False),
        verify.identity("RNN ∂J/∂h_0 = W_hᵀ δa_1", grad(h0), dh0, verbose=False),
    ]
    proofs += [verify.identity(f"RNN ∂J/∂x_{t + 1} = W_xᵀ δa_{t + 1}", grad(x), dx,
                               verbose=False) for t, (x, dx) in enumerate(zip(xs, dxs))]
    assert all(proofs)
    assert [p.entries for p in proofs[:3]] == [H_SYM * (H_SYM + D_SYM), H_SYM, H_SYM]


def test_sympy_rejects_a_recursion_without_the_tanh_derivative():
    # The check can fail: drop (1 - h_t²) from the recursion and identity must object.
    W, b, h0, xs, us, hs, zs, J = _symbolic_rnn()
    zeros = [sp.zeros(H_SYM, 1)] * (T_SYM + 1)  # h_t -> 0 in the factor: 1 - h² -> 1
    dW_wrong, *_ = _hand_bptt(W, us, zeros, zs)
    with pytest.raises(verify.FormulaMismatch, match="not an identity"):
        verify.identity("wrong", W.applyfunc(lambda s: sp.diff(J, s)), dW_wrong, verbose=False)


def test_sympy_derivative_equals_rnn_backward_at_a_point():
    # The symbolic ∂J/∂W, evaluated at numbers, equals lstm_ref.rnn's backward pass.
    W, b, h0, xs, us, hs, zs, J = _symbolic_rnn()
    rng = np.random.default_rng(7)
    Wn, bn = rng.standard_normal((H_SYM, H_SYM + D_SYM)), rng.standard_normal(H_SYM)
    h0n = rng.standard_normal(H_SYM)
    xn = rng.standard_normal((T_SYM, 1, D_SYM))
    un = rng.standard_normal((T_SYM, 1, H_SYM))
    point = {W[j, k]: Wn[j, k] for j in range(H_SYM) for k in range(H_SYM + D_SYM)}
    point |= {b[j]: bn[j] for j in range(H_SYM)} | {h0[j]: h0n[j] for j in range(H_SYM)}
    for t in range(T_SYM):
        point |= {xs[t][j]: xn[t, 0, j] for j in range(D_SYM)}
        point |= {us[t][j]: un[t, 0, j] for j in range(H_SYM)}
    sym_dW = np.array(W.applyfunc(lambda s: sp.diff(J, s)).xreplace(point).evalf(30),
                      dtype=np.float64)
    sym_db = np.array(b.applyfunc(lambda s: sp.diff(J, s)).xreplace(point).evalf(30),
                      dtype=np.float64).ravel()
    _, cache = rnn_forward(xn, h0n[None, :], Wn, bn)
    g = rnn_backward(un, cache)
    np.testing.assert_allclose(g.dW, sym_dW, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g.db, sym_db, rtol=1e-12, atol=1e-14)


# ---- parameters ------------------------------------------------------------------


@pytest.mark.parametrize("D, H", [(3, 5), (1, 1), (6, 2)])
def test_init_rnn_params_shapes_and_range(D, H):
    params = init_rnn_params(D, H, np.random.default_rng(0))
    assert isinstance(params, RNNParams)
    assert params.W.shape == (H, H + D) and params.b.shape == (H,)
    assert params.W.dtype == np.float64 and params.b.dtype == np.float64
    s = 1 / np.sqrt(H + D)
    assert np.all(np.abs(params.W) <= s) and not np.any(params.b)
    again = init_rnn_params(D, H, np.random.default_rng(0))
    np.testing.assert_array_equal(params.W, again.W)


def test_init_rnn_params_scale_and_dtype():
    p = init_rnn_params(2, 3, np.random.default_rng(1), scale=0.01, dtype=np.float32)
    assert p.W.dtype == np.float32 and p.b.dtype == np.float32
    assert np.abs(p.W).max() <= 0.01


@pytest.mark.parametrize("args, kwargs, exc, match", [
    ((0, 3), {}, ValueError, r"D: expected a positive integer, got 0"),
    ((2, 2.5), {}, TypeError, r"H: expected a positive integer, got float"),
    ((2, 3), {"scale": -1.0}, ValueError, r"scale: expected a positive finite number, got -1.0"),
    ((2, 3), {"dtype": np.int64}, TypeError, r"dtype: expected float32 or float64, got int64"),
])
def test_init_rnn_params_validation(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        init_rnn_params(*args, np.random.default_rng(0), **kwargs)


def test_init_rnn_params_needs_a_generator():
    with pytest.raises(TypeError, match=r"rng: expected Generator, got int"):
        init_rnn_params(2, 3, 0)


# ---- validation ------------------------------------------------------------------


def _good_step():
    rng = np.random.default_rng(0)
    return dict(x=rng.standard_normal((2, 3)), h_prev=rng.standard_normal((2, 4)),
                W=rng.standard_normal((4, 7)), b=rng.standard_normal(4))


@pytest.mark.parametrize("name, value, exc, match", [
    ("W", np.zeros((4, 8)), ValueError,
     r"W: expected shape \(H, H\+D\) = \(4, 7\), got \(4, 8\); H = 4 .*D = 3 from x"),
    ("W", np.zeros((16, 7)), ValueError,
     r"W: expected shape \(H, H\+D\) = \(4, 7\), got \(16, 7\)"),
    ("b", np.zeros(5), ValueError, r"b: expected shape \(H,\) = \(4,\), got \(5,\)"),
    ("h_prev", np.zeros((3, 4)), ValueError,
     r"h_prev: expected shape \(B, H\) = \(2, 4\), got \(3, 4\); B = 2 from x"),
    ("x", np.zeros(3), ValueError, r"x: expected a 2-D array of shape \(B, D\), got shape \(3,\)"),
    ("x", np.zeros((2, 3), dtype=np.int64), TypeError,
     r"x: expected dtype float32 or float64, got int64"),
    ("W", np.zeros((4, 7), dtype=np.float32), TypeError,
     r"W: expected dtype float64 \(the dtype of x\), got float32"),
    ("b", np.array([0.0, np.nan, 0.0, 0.0]), ValueError,
     r"b: expected finite values, got 1 NaN/Inf entry out of 4"),
    ("h_prev", [[0.0] * 4] * 2, TypeError, r"h_prev: expected a numpy.ndarray, got list"),
])
def test_step_forward_validation(name, value, exc, match):
    args = _good_step()
    rnn_step_forward(**args)  # the unmodified arguments are fine
    args[name] = value
    with pytest.raises(exc, match=match):
        rnn_step_forward(**args)


def test_step_backward_validation():
    _, cache = rnn_step_forward(**_good_step())
    with pytest.raises(ValueError, match=r"dh: expected shape \(B, H\) = \(2, 4\), got \(2, 5\)"):
        rnn_step_backward(np.zeros((2, 5)), cache)
    with pytest.raises(TypeError, match=r"dh: expected dtype float64 \(the dtype of cache\)"):
        rnn_step_backward(np.zeros((2, 4), dtype=np.float32), cache)
    with pytest.raises(TypeError, match=r"cache: expected RNNStepCache, got tuple"):
        rnn_step_backward(np.zeros((2, 4)), tuple(cache))


def test_sequence_validation():
    _, p = make_seq(3, 2, 3, 4)
    with pytest.raises(ValueError, match=r"x: expected a 3-D array of shape \(T, B, D\)"):
        rnn_forward(p["x"][0], p["h0"], p["W"], p["b"])
    with pytest.raises(ValueError, match=r"h0: expected shape \(B, H\) = \(2, 4\), got \(1, 4\)"):
        rnn_forward(p["x"], p["h0"][:1], p["W"], p["b"])
    _, cache = rnn_forward(**p)
    with pytest.raises(ValueError, match=r"dh: expected shape \(T, B, H\) = \(3, 2, 4\), got"):
        rnn_backward(np.zeros((2, 2, 4)), cache)
    with pytest.raises(ValueError, match=r"dh_T: expected shape \(B, H\) = \(2, 4\), got \(2, 5\)"):
        rnn_backward(np.zeros((3, 2, 4)), cache, dh_T=np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"cache: expected the caches of T >= 1 steps"):
        rnn_backward(np.zeros((0, 2, 4)), RNNSeqCache(steps=()))
    with pytest.raises(TypeError, match=r"cache: expected RNNSeqCache, got tuple"):
        rnn_backward(np.zeros((3, 2, 4)), cache.steps)
