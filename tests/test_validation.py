"""Bad input fails early with a message naming the argument, the expected and the given value."""

import numpy as np
import pytest

import lstm_ref as L

# Both whole-sequence paths validate their input the same way.
PATHS = {
    "plain": (L.lstm_forward, L.lstm_backward, "SeqCache"),
    "fused": (L.fused_lstm_forward, L.fused_lstm_backward, "FusedCache"),
}
forward_of = pytest.mark.parametrize("forward", [v[0] for v in PATHS.values()], ids=list(PATHS))


def seq(T=5, B=3, D=2, H=4, dtype=np.float64):
    rng = np.random.default_rng(0)
    W, b = L.init_lstm_params(D, H, rng, dtype=dtype)
    return dict(
        x=rng.standard_normal((T, B, D)).astype(dtype),
        h0=np.zeros((B, H), dtype),
        c0=np.zeros((B, H), dtype),
        W=W,
        b=b,
    )


@forward_of
def test_shape_message_with_symbols_and_known_sizes(forward):
    p = seq()
    p["W"] = np.zeros((16, 7))  # H = 4 from h0, so H+D = 6
    with pytest.raises(
        ValueError,
        match=r"W: expected shape \(4H, H\+D\) = \(16, 6\), got \(16, 7\); "
        r"H = 4 from h0 \(shape \(3, 4\)\); D = 2 from x",
    ):
        forward(**p)


@forward_of
def test_mismatched_batch_sizes_name_both_arguments(forward):
    p = seq()
    p["h0"] = np.zeros((4, 4))
    with pytest.raises(ValueError, match=r"h0: expected shape \(B, H\) = \(3, 4\), got \(4, 4\); "
                                         r"B = 3 from x \(shape \(5, 3, 2\)\)"):
        forward(**p)


@forward_of
def test_wrong_ndim(forward):
    p = seq()
    p["x"] = p["x"][0]
    with pytest.raises(
        ValueError, match=r"x: expected a 3-D array of shape \(T, B, D\), got shape \(3, 2\)"
    ):
        forward(**p)


def test_step_shapes():
    rng = np.random.default_rng(0)
    W, b = L.init_lstm_params(2, 3, rng)
    with pytest.raises(
        ValueError, match=r"c_prev: expected shape \(B, H\) = \(4, 3\), got \(4, 5\)"
    ):
        L.lstm_step_forward(np.zeros((4, 2)), np.zeros((4, 3)), np.zeros((4, 5)), W, b)
    with pytest.raises(ValueError, match=r"b: expected shape \(4H,\) = \(12,\), got \(11,\)"):
        L.lstm_step_forward(np.zeros((4, 2)), np.zeros((4, 3)), np.zeros((4, 3)), W, b[:11])


@pytest.mark.parametrize("bad", [np.int64, np.float16, np.complex128])
@forward_of
def test_non_float_dtypes_rejected(bad, forward):
    p = seq()
    p["x"] = p["x"].astype(bad)
    with pytest.raises(
        TypeError, match=rf"x: expected dtype float32 or float64, got {np.dtype(bad)}"
    ):
        forward(**p)


@forward_of
def test_mixed_dtypes_rejected(forward):
    p = seq()
    p["x"] = p["x"].astype(np.float32)
    with pytest.raises(
        TypeError, match=r"h0: expected dtype float32 \(the dtype of x\), got float64"
    ):
        forward(**p)
    rng = np.random.default_rng(0)
    with pytest.raises(
        TypeError, match=r"W_v: expected dtype float64 \(the dtype of h\), got float32"
    ):
        L.affine_forward(rng.standard_normal((2, 3)), np.zeros((4, 3), np.float32), np.zeros(4))


@forward_of
def test_not_an_array(forward):
    p = seq()
    p["h0"] = p["h0"].tolist()
    with pytest.raises(TypeError, match=r"h0: expected a numpy.ndarray, got list"):
        forward(**p)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@forward_of
def test_nan_and_inf_rejected(value, forward):
    p = seq()
    p["W"][1, 2] = value
    with pytest.raises(
        ValueError, match=r"W: expected finite values, got 1 NaN/Inf entry out of 96"
    ):
        forward(**p)
    with pytest.raises(ValueError, match=r"v: expected finite values"):
        L.softmax(np.array([0.0, value]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_finite_check_is_exact_for_huge_values_and_any_layout(dtype, layout):
    # The fast path squares and sums; huge finite entries overflow it and must
    # still pass, and a single NaN/Inf anywhere must still be found.
    from lstm_ref._validate import check_finite

    rng = np.random.default_rng(3)
    base = rng.standard_normal((6, 10)).astype(dtype)
    view = {"C": lambda a: a, "F": lambda a: a.T, "strided": lambda a: a[:, ::3]}[layout]
    big = base.copy()
    big[2, 3] = np.finfo(dtype).max / 2  # finite, but its square overflows
    check_finite("a", view(big))
    check_finite("a", view(base))
    for value in (np.nan, np.inf, -np.inf):
        for where in [(0, 0), (5, 9), (3, 6)]:
            bad = base.copy()
            bad[where] = value
            with pytest.raises(ValueError, match=r"a: expected finite values, got 1 NaN/Inf entry"):
                check_finite("a", view(bad))


@pytest.mark.parametrize("path", list(PATHS))
def test_backward_checks_upstream_against_cache(path):
    forward, backward, cache_type = PATHS[path]
    p = seq()
    h, c, cache = forward(**p)
    with pytest.raises(
        ValueError, match=r"dh: expected shape \(T, B, H\) = \(5, 3, 4\), got \(5, 3, 3\)"
    ):
        backward(np.zeros((5, 3, 3)), cache)
    with pytest.raises(ValueError, match=r"dc_T: expected shape \(B, H\) = \(3, 4\), got \(2, 4\)"):
        backward(np.zeros((5, 3, 4)), cache, dc_T=np.zeros((2, 4)))
    with pytest.raises(
        TypeError, match=r"dh: expected dtype float64 \(the dtype of cache\), got float32"
    ):
        backward(np.zeros((5, 3, 4), np.float32), cache)
    with pytest.raises(TypeError, match=rf"cache: expected {cache_type}, got tuple"):
        backward(np.zeros((5, 3, 4)), tuple(cache))
    with pytest.raises(ValueError, match=r"dh: expected finite values"):
        backward(np.full((5, 3, 4), np.nan), cache)


def test_step_backward_checks():
    rng = np.random.default_rng(0)
    W, b = L.init_lstm_params(2, 3, rng)
    _, _, cache = L.lstm_step_forward(np.zeros((4, 2)), np.zeros((4, 3)), np.zeros((4, 3)), W, b)
    with pytest.raises(
        ValueError, match=r"dc_next: expected shape \(B, H\) = \(4, 3\), got \(3, 4\)"
    ):
        L.lstm_step_backward(np.zeros((4, 3)), np.zeros((3, 4)), cache)
    with pytest.raises(TypeError, match=r"cache: expected StepCache"):
        L.lstm_step_backward(np.zeros((4, 3)), np.zeros((4, 3)), None)


@pytest.mark.parametrize(
    "call",
    [
        lambda: L.softmax_cross_entropy(np.zeros((2, 3)), np.zeros(2, int), reduction="avg"),
        lambda: L.sigmoid_binary_cross_entropy(np.zeros(2), np.zeros(2), reduction="avg"),
        lambda: L.mean_squared_error(np.zeros(2), np.zeros(2), reduction="avg"),
    ],
)
def test_unknown_reduction(call):
    with pytest.raises(
        ValueError, match=r"reduction: unknown option 'avg'; expected one of 'sum', 'mean'"
    ):
        call()


def test_loss_target_checks():
    v = np.zeros((2, 3))
    with pytest.raises(
        ValueError, match=r"y: class indices must lie in \[0, 3\).*got values in \[0, 3\]"
    ):
        L.softmax_cross_entropy(v, np.array([0, 3]))
    with pytest.raises(
        ValueError,
        match=r"y: integer class indices must have shape v.shape\[:-1\] = \(2,\), "
        r"got \(3,\)",
    ):
        L.softmax_cross_entropy(v, np.array([0, 1, 2]))
    with pytest.raises(
        ValueError, match=r"y: float targets must have the shape of v, \(2, 3\), got \(2, 2\)"
    ):
        L.softmax_cross_entropy(v, np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"y: expected the shape of y_hat, \(2,\), got \(3,\)"):
        L.mean_squared_error(np.zeros(2), np.zeros(3))


def test_affine_backward_checks():
    rng = np.random.default_rng(0)
    _, cache = L.affine_forward(rng.standard_normal((3, 2)), np.zeros((4, 2)), np.zeros(4))
    with pytest.raises(
        ValueError, match=r"dv: expected shape \(3, 4\) \(the shape of v\), got \(3, 5\)"
    ):
        L.affine_backward(np.zeros((3, 5)), cache)
    with pytest.raises(ValueError, match=r"b_v: expected shape \(V,\) = \(4,\), got \(5,\)"):
        L.affine_forward(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros(5))


def test_param_helper_checks():
    with pytest.raises(
        ValueError, match=r"a: expected shape \(..., 4H\), last axis divisible by 4, got \(2, 6\)"
    ):
        L.split_gates(np.zeros((2, 6)))
    with pytest.raises(
        ValueError, match=r"W: expected shape \(4H, H\+D\) with H = 3 and D >= 1, got \(12, 3\)"
    ):
        L.split_weight(np.zeros((12, 3)), 3)
    with pytest.raises(ValueError, match=r"H: expected a positive integer, got 0"):
        L.init_lstm_params(2, 0, np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"dtype: expected float32 or float64, got int32"):
        L.init_lstm_params(2, 3, np.random.default_rng(0), dtype=np.int32)
    with pytest.raises(
        ValueError, match=r"g: expected shape \(2, 3\) \(the shape of f\), got \(2, 4\)"
    ):
        L.fuse_gates(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 4)))


def test_activation_checks():
    with pytest.raises(TypeError, match=r"a: expected dtype float32 or float64, got int64"):
        L.sigmoid(np.array([1, 2]))
    with pytest.raises(ValueError, match=r"axis: expected an axis of a 2-D array, got 2"):
        L.softmax(np.zeros((2, 3)), axis=2)


def test_gradcheck_argument_checks():
    with pytest.raises(ValueError, match=r"eps: expected a positive finite number, got 0"):
        L.numerical_gradient(lambda x: 0.0, {"x": np.zeros(2)}, eps=0)
    with pytest.raises(TypeError, match=r"x: expected dtype float32 or float64, got int64"):
        L.numerical_gradient(lambda x: 0.0, {"x": np.zeros(2, int)})


@pytest.mark.parametrize("bad", [0, -3])
def test_negative_or_zero_sizes_are_named(bad):
    rng = np.random.default_rng(0)
    for name, call in [("D", lambda: L.init_lstm_params(bad, 2, rng)),
                       ("H", lambda: L.init_lstm_params(3, bad, rng)),
                       ("V", lambda: L.init_affine_params(2, bad, rng)),
                       ("T", lambda: L.fused_workspace(bad, 1, 1, 1)),
                       ("B", lambda: L.fused_workspace(1, bad, 1, 1))]:
        with pytest.raises(ValueError, match=rf"{name}: expected a positive int\w*, got {bad}"):
            call()
