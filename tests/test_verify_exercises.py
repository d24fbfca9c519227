"""Exercise checkers: every named mistake is diagnosed, the correct answer passes.

Oracle for the checkers' reference answers: central finite differences.
"""

import numpy as np
import pytest

from lstm_ref import verify as V
from lstm_ref.gradcheck import numerical_gradient
from lstm_ref.verify import exercises as E


def _softmax(v):
    e = np.exp(v - v.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _fd(f, x, eps=1e-6):
    """Central differences of f at x (lstm_ref's checker, itself tested on known gradients)."""
    return numerical_gradient(lambda v: f(v.copy()), {"v": x.copy()}, eps=eps)["v"]


def test_reference_cell_backward_matches_finite_differences():
    rng = np.random.default_rng(3)
    B, D, H = 2, 4, 3
    x, hp, cp = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    W, b = 0.5 * rng.standard_normal((4 * H, H + D)), 0.5 * rng.standard_normal(4 * H)
    dh, dcn = rng.standard_normal((B, H)), rng.standard_normal((B, H))

    def J(x=x, hp=hp, cp=cp, W=W, b=b):
        h, c, _ = E.cell_forward_np(x, hp, cp, W, b)
        return np.sum(dh * h) + np.sum(dcn * c)
    _, _, cache = E.cell_forward_np(x, hp, cp, W, b)
    g = E.cell_backward_np(dh, dcn, cache)
    for name, arr, fd in [("dx", x, lambda v: J(x=v)), ("dh_prev", hp, lambda v: J(hp=v)),
                          ("dc_prev", cp, lambda v: J(cp=v)), ("dW", W, lambda v: J(W=v)),
                          ("db", b, lambda v: J(b=v))]:
        assert np.allclose(g[name], _fd(fd, arr), atol=1e-8), name


def test_reference_sequence_backward_matches_finite_differences():
    rng = np.random.default_rng(4)
    T, B, D, H = 3, 2, 2, 3
    dh, x = rng.standard_normal((T, B, H)), rng.standard_normal((T, B, D))
    h0, c0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    W, b = 0.5 * rng.standard_normal((4 * H, H + D)), 0.5 * rng.standard_normal(4 * H)

    def J(W):
        h, c = h0, c0
        total = 0.0
        for t in range(T):
            h, c, _ = E.cell_forward_np(x[t], h, c, W, b)
            total += np.sum(dh[t] * h)
        return total
    g = E.sequence_backward_np(dh, x, h0, c0, W, b)
    assert np.allclose(g["dW"], _fd(J, W), atol=1e-8)


def test_output_layer_checkers_correct_and_mistakes(capsys):
    onehot = lambda v, y: np.eye(v.shape[1])[y]  # noqa: E731
    assert V.check_softmax_ce_grad(lambda v, y: _softmax(v) - onehot(v, y)).ok
    cases = [
        (V.check_softmax_ce_grad, lambda v, y: onehot(v, y) - _softmax(v), "sign"),
        (V.check_softmax_ce_grad, lambda v, y: _softmax(v), "forgot_y"),
        (V.check_softmax_ce_grad, lambda v, y: v - onehot(v, y), "logits_not_probabilities"),
        (V.check_softmax_ce_grad, lambda v, y: (_softmax(v) - onehot(v, y)) / len(y), "mean_over_batch"),
        (V.check_softmax_ce_grad, lambda v, y: (_softmax(v) - onehot(v, y)).T, "transposed"),
        (V.check_softmax_ce_grad, lambda v, y: (_softmax(v) - onehot(v, y))[:, :2], "shape"),
        (V.check_mse_grad, lambda a, y: 2 * (y - a), "sign"),
        (V.check_mse_grad, lambda a, y: a - y, "missing_factor_2"),
        (V.check_dW_v, lambda dv, h: h.T @ dv, "transposed"),
        (V.check_dW_v, lambda dv, h: -(dv.T @ h), "sign"),
        (V.check_dW_v, lambda dv, h: np.outer(dv[0], h[0]), "one_example"),
        (V.check_dW_v, lambda dv, h: dv.T @ h + 1.0, "unknown"),
    ]
    for checker, fn, mistake in cases:
        v = checker(fn, expect=mistake)
        assert not v.ok and v.diagnosis == mistake
    assert V.check_mse_grad(lambda a, y: 2 * (a - y)).ok
    assert V.check_dW_v(lambda dv, h: dv.T @ h).ok
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == ("✗ check_softmax_ce_grad: sign — the sign is flipped: this is y − ŷ; "
                        "∂J/∂v = ŷ − y")


def _cell_reader(variant):
    def fn(dh, dc_next, x, h_prev, c_prev, W, b):
        ctx = dict(dh=dh, dc_next=dc_next, x=x, h_prev=h_prev, c_prev=c_prev, W=W, b=b,
                   H=h_prev.shape[1])
        ctx["correct"] = E._cell_variant(ctx, None)
        return E._cell_variant(ctx, variant)
    return fn


@pytest.mark.parametrize("mistake", sorted(E.CELL_MISTAKES))
def test_cell_backward_mistakes_are_named(mistake):
    v = V.check_cell_backward(_cell_reader(mistake), expect=mistake)
    assert v.diagnosis == mistake and not v.ok


def test_cell_backward_correct_passes_and_lstm_ref_passes():
    assert V.check_cell_backward(_cell_reader(None)).ok
    from lstm_ref.cell import lstm_step_backward, lstm_step_forward

    def ref(dh, dc_next, x, h_prev, c_prev, W, b):
        _, _, cache = lstm_step_forward(x, h_prev, c_prev, W, b)
        return lstm_step_backward(dh, dc_next, cache)
    assert V.check_exercise("cell_backward", ref).ok


def test_cell_backward_transposed_dW():
    def fn(*args):
        out = _cell_reader(None)(*args)
        out["dW"] = out["dW"].T
        return out
    assert V.check_cell_backward(fn, expect="transposed").diagnosis == "transposed"


@pytest.mark.parametrize("mistake", sorted(E.SEQ_MISTAKES))
def test_sequence_backward_mistakes_are_named(mistake):
    def fn(dh, x, h0, c0, W, b):
        if mistake == "sign":
            return {k: -v for k, v in E.sequence_backward_np(dh, x, h0, c0, W, b).items()}
        return E.sequence_backward_np(dh, x, h0, c0, W, b, variant=mistake)
    assert V.check_sequence_backward(fn, expect=mistake).diagnosis == mistake


def test_wrong_answer_without_expect_raises_and_unexpected_diagnosis_raises():
    with pytest.raises(V.ExerciseFailed, match="missing_dc_next"):
        V.check_cell_backward(_cell_reader("missing_dc_next"))
    with pytest.raises(V.ExerciseFailed, match="expected the diagnosis 'sign'"):
        V.check_cell_backward(_cell_reader("tanh_not_squared"), expect="sign")
    with pytest.raises(V.ExerciseFailed):
        V.check_cell_backward(_cell_reader(None), expect="sign")


def test_checker_bad_input():
    with pytest.raises(TypeError, match="fn"):
        V.check_dW_v(3)
    with pytest.raises(ValueError, match="expect"):
        V.check_dW_v(lambda dv, h: dv.T @ h, expect="typo")
    with pytest.raises(ValueError, match="name"):
        V.check_exercise("nope", lambda: 0)
    with pytest.raises(TypeError, match="field 'dh_prev'"):
        V.check_cell_backward(lambda *a: {"dx": 0})


# ------------------------------------------------------------ forward step

def test_forward_reference_matches_lstm_ref():
    import lstm_ref
    ctx = dict(H=3)
    rng = np.random.default_rng(11)
    ctx.update(x=rng.standard_normal((2, 4)), h_prev=rng.standard_normal((2, 3)),
               c_prev=rng.standard_normal((2, 3)), W=rng.standard_normal((12, 7)),
               b=rng.standard_normal(12))
    ref = E._forward_variant(ctx, None)
    h, c, _ = lstm_ref.lstm_step_forward(ctx["x"], ctx["h_prev"], ctx["c_prev"], ctx["W"], ctx["b"])
    np.testing.assert_allclose(ref["h"], h, rtol=1e-13)
    np.testing.assert_allclose(ref["c"], c, rtol=1e-13)


def test_cell_forward_lstm_ref_passes_and_returns_tuple():
    import lstm_ref

    def fn(x, h_prev, c_prev, W, b):
        h, c, _ = lstm_ref.lstm_step_forward(x, h_prev, c_prev, W, b)
        return h, c
    v = V.check_cell_forward(fn)
    assert v.ok and v.diagnosis == "correct"


@pytest.mark.parametrize("mistake", sorted(E.FORWARD_MISTAKES))
def test_cell_forward_mistakes_are_named(mistake):
    def fn(x, h_prev, c_prev, W, b):
        ctx = dict(H=h_prev.shape[1], x=x, h_prev=h_prev, c_prev=c_prev, W=W, b=b)
        out = E._forward_variant(ctx, mistake)
        return out["h"], out["c"]
    v = V.check_cell_forward(fn, expect=mistake)
    assert not v.ok and v.diagnosis == mistake
    with pytest.raises(V.ExerciseFailed, match=mistake):
        V.check_cell_forward(fn)


def test_cell_forward_wrong_tuple_length_is_a_clear_error():
    with pytest.raises(TypeError, match=r"expected 2 arrays \('h', 'c'\), got a tuple of 3"):
        V.check_cell_forward(lambda x, hp, cp, W, b: (hp, cp, x))
