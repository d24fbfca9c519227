"""lstm_ref.exercises.split: the checkers of source 003's layout conversion and backward step.

Oracles, independent of the checkers' mistake models (which change the inputs and outputs of
lstm_ref.split's functions):

* the reader functions below, written as a reader would write them: plain NumPy, their own
  forward pass, one switch per mistake. Without a mistake they are checked against lstm_ref
  (the core fused cell at b = 0) and against central finite differences, at odd shapes;
* the list of mistakes, written out here, not read from the checker.

tests/test_exercises.py imports the readers to run its checks of every registered checker.
"""

import numpy as np
import pytest

import lstm_ref
from lstm_ref import exercises as E

SEEDS = (0, 1, 2)
FIELDS = {"fused_to_split": ("W", "U"),
          "split_step_backward": ("dx", "dh_prev", "dc_prev", "dW", "dU")}
MISTAKES = {
    "fused_to_split": ["rows_not_permuted", "inverse_row_permutation", "gate_order_ifgo",
                       "columns_swapped"],
    "split_step_backward": ["source_003_as_written", "candidate_tanh_not_squared",
                            "sigma_at_pre_activations", "missing_dc_next", "gate_order_fused",
                            "dW_dU_swapped", "mean_over_batch", "sign"],
}


# ------------------------------------------------------------------ reader functions

def _sig(u):
    return 1 / (1 + np.exp(-u))


def reader_fused_to_split(W_fused, bug=None):
    """A reader's conversion: pick the fused row blocks by gate name, then the columns."""
    H = W_fused.shape[0] // 4
    block = {g: W_fused[k * H:(k + 1) * H] for k, g in enumerate("fiog")}
    order = {"rows_not_permuted": "fiog", "inverse_row_permutation": "oigf",
             "gate_order_ifgo": "ifgo"}.get(bug, "gifo")  # source 003: a (= g), i, f, o
    theta_hx = np.concatenate([block[g] for g in order])  # columns still [h, x]
    W, U = theta_hx[:, H:], theta_hx[:, :H]
    if bug == "columns_swapped":
        W, U = U, W
    return W, U


def reader_split_step_backward(dh, dc_next, x, h_prev, c_prev, W, U, bug=None):
    """A reader's backward step of source 003's cell (its own forward inside)."""
    H = h_prev.shape[1]
    order = "fioa" if bug == "gate_order_fused" else "aifo"  # a = the candidate
    rows = {n: slice(order.index(n) * H, (order.index(n) + 1) * H) for n in "aifo"}
    A = x @ W.T + h_prev @ U.T
    a_hat, i_hat, f_hat, o_hat = (A[:, rows[n]] for n in "aifo")
    a, i, f, o = np.tanh(a_hat), _sig(i_hat), _sig(f_hat), _sig(o_hat)
    c = a * i + c_prev * f
    tc = np.tanh(c)
    dc = (0 if bug == "missing_dc_next" else dc_next) + dh * o * (1 - tc**2)
    grads_act = (dc * i, dc * a, dc * c_prev, dh * tc)  # ∂E/∂a, ∂E/∂i, ∂E/∂f, ∂E/∂o
    if bug == "source_003_as_written":
        local = (1 - np.tanh(a_hat), a_hat * (1 - a_hat), f_hat * (1 - f_hat),
                 o_hat * (1 - o_hat))
    elif bug == "candidate_tanh_not_squared":
        local = (1 - np.tanh(a_hat), i * (1 - i), f * (1 - f), o * (1 - o))
    elif bug == "sigma_at_pre_activations":
        local = (1 - a**2, i_hat * (1 - i_hat), f_hat * (1 - f_hat), o_hat * (1 - o_hat))
    else:
        local = (1 - a**2, i * (1 - i), f * (1 - f), o * (1 - o))
    dA = np.empty_like(A)
    for n, d, s in zip("aifo", grads_act, local):
        dA[:, rows[n]] = d * s
    dW, dU = dA.T @ x, dA.T @ h_prev
    if bug == "dW_dU_swapped":
        dW, dU = dA.T @ h_prev, dA.T @ x
    if bug == "mean_over_batch":
        dW, dU = dW / len(x), dU / len(x)
    out = dict(dx=dA @ W, dh_prev=dA @ U, dc_prev=dc * f, dW=dW, dU=dU)
    return {k: -v for k, v in out.items()} if bug == "sign" else out


READERS = {
    "fused_to_split": {bug: (lambda W_fused, bug=bug: reader_fused_to_split(W_fused, bug))
                       for bug in [None] + MISTAKES["fused_to_split"]},
    "split_step_backward": {bug: (lambda *args, bug=bug: reader_split_step_backward(*args,
                                                                                      bug=bug))
                            for bug in [None] + MISTAKES["split_step_backward"]},
}
LSTM_REF_READERS = {
    "fused_to_split": lambda W_fused: lstm_ref.fused_to_split(W_fused),
    "split_step_backward": lambda dh, dc_next, *a: lstm_ref.split_step_backward(
        dh, dc_next, lstm_ref.split_step_forward(*a)[2]),
}
CHECKERS = {"fused_to_split": E.check_fused_to_split,
            "split_step_backward": E.check_split_step_backward}


# ------------------------------------------------------------------ the oracles

@pytest.mark.parametrize("B, D, H", [(1, 3, 2), (3, 1, 4), (2, 2, 2)])
def test_correct_readers_match_lstm_ref_and_finite_differences(B, D, H):
    rng = np.random.default_rng(30)
    W_fused = 0.7 * rng.standard_normal((4 * H, H + D))
    W, U = reader_fused_to_split(W_fused)
    np.testing.assert_array_equal(W, lstm_ref.fused_to_split(W_fused).W)
    np.testing.assert_array_equal(U, lstm_ref.fused_to_split(W_fused).U)
    x, h_prev, c_prev = (rng.standard_normal(s) for s in ((B, D), (B, H), (B, H)))
    dh, dc_next = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    g = reader_split_step_backward(dh, dc_next, x, h_prev, c_prev, W, U)
    # the core fused step at b = 0, converted
    _, _, cache = lstm_ref.lstm_step_forward(x, h_prev, c_prev, W_fused, np.zeros(4 * H))
    ref = lstm_ref.lstm_step_backward(dh, dc_next, cache)
    for k in ("dx", "dh_prev", "dc_prev"):
        np.testing.assert_allclose(g[k], getattr(ref, k), rtol=1e-12, atol=1e-14, err_msg=k)
    dW, dU = lstm_ref.fused_to_split(ref.dW)
    np.testing.assert_allclose(g["dW"], dW, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g["dU"], dU, rtol=1e-12, atol=1e-14)

    def E_step(x, h_prev, c_prev, W, U):
        h, c, _ = lstm_ref.split_step_forward(x, h_prev, c_prev, W, U)
        return np.sum(dh * h) + np.sum(dc_next * c)
    arrays = dict(x=x, h_prev=h_prev, c_prev=c_prev, W=W.copy(), U=U.copy())
    lstm_ref.gradcheck(E_step, arrays, {"x": g["dx"], "h_prev": g["dh_prev"],
                                        "c_prev": g["dc_prev"], "W": g["dW"], "U": g["dU"]}
                       ).assert_ok()


def test_the_mistakes_are_the_listed_ones():
    for exercise, names in MISTAKES.items():
        assert list(E.MISTAKES[exercise]) == names, exercise
    assert E.EXERCISES["fused_to_split"] is E.check_fused_to_split
    assert E.EXERCISES["split_step_backward"] is E.check_split_step_backward


# ------------------------------------------------------------------ the checkers

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("exercise", list(FIELDS))
def test_correct_reader_passes_and_lstm_ref_bit_for_bit(exercise, seed, capsys):
    v = CHECKERS[exercise](READERS[exercise][None], seed=seed)
    assert (v.ok, v.diagnosis) == (True, "correct")
    assert capsys.readouterr().out == v.message + "\n"
    v = CHECKERS[exercise](LSTM_REF_READERS[exercise], seed=seed)
    assert v.ok and v.message.endswith("max_rel_err=0.0e+00)"), v.message


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("exercise, mistake",
                         [(ex, m) for ex, names in MISTAKES.items() for m in names])
def test_each_mistake_is_named(exercise, mistake, seed, capsys):
    v = CHECKERS[exercise](READERS[exercise][mistake], expect=mistake, seed=seed)
    assert (v.ok, v.diagnosis) == (False, mistake)
    out = capsys.readouterr().out
    assert out == v.message + "\n"
    assert all(len(line) <= 88 for line in out.splitlines())
    with pytest.raises(E.ExerciseFailed, match=mistake):
        CHECKERS[exercise](READERS[exercise][mistake], seed=seed)


@pytest.mark.parametrize("exercise", list(FIELDS))
def test_no_two_answers_coincide(exercise):
    seen = []

    def spy(*args):
        seen.append([np.copy(a) for a in args])
        return READERS[exercise][None](*args)
    CHECKERS[exercise](spy)
    outs = {}
    for bug, fn in READERS[exercise].items():
        out = fn(*(np.copy(a) for a in seen[0]))
        outs[bug] = dict(zip(FIELDS[exercise], out)) if isinstance(out, tuple) else out
    for p in outs:
        for q in outs:
            if p != q:
                assert not all(np.shape(outs[p][k]) == np.shape(outs[q][k])
                               and np.allclose(outs[p][k], outs[q][k])
                               for k in FIELDS[exercise]), (p, q)


def test_source_003s_printed_derivatives_are_diagnosed_as_such(capsys):
    v = E.check_split_step_backward(READERS["split_step_backward"]["source_003_as_written"],
                                    expect="source_003_as_written")
    assert "1 − tanh(â)" in v.message and "1 − a²" in v.message


def test_an_unknown_answer_names_no_fused_gate_block():
    # dW's rows are in source 003's order: the first difference must not be called "f" etc.
    def off_by_one_entry(*args):
        out = reader_split_step_backward(*args)
        out["dW"] = out["dW"].copy()
        out["dW"][0, 0] += 1.0
        return out
    v = E.check_split_step_backward(off_by_one_entry, expect="unknown")
    assert "dW[0, 0]" in v.message and "gate block" not in v.message


def test_not_attempted_lines_of_the_chapter(capsys):
    def my_fused_to_split(W_fused):
        raise NotImplementedError

    def my_backward(dh, dc_next, x, h_prev, c_prev, W, U):
        raise NotImplementedError
    v = E.check_fused_to_split(my_fused_to_split)
    assert v.message == ("○ check_fused_to_split: not attempted yet — fill in my_fused_to_split "
                         "above and re-run")
    v = E.check_split_step_backward(my_backward)
    assert v.message == ("○ check_split_step_backward: not attempted yet — fill in my_backward "
                         "above and re-run")
    assert capsys.readouterr().out.count("\n") == 2


def test_transposed_and_wrong_shape():
    v = E.check_fused_to_split(lambda Wf: tuple(m.T for m in reader_fused_to_split(Wf)),
                               expect="transposed")
    assert "W is transposed" in v.message
    v = E.check_split_step_backward(
        lambda *a: {**reader_split_step_backward(*a),
                    "dU": reader_split_step_backward(*a)["dU"].T}, expect="transposed")
    assert "gradient layout: dU has the shape of U" in v.message


@pytest.mark.parametrize("D, H", [(3, 2), (4, 3), (1, 5), (2, 2)])
def test_ex_split_inverse_answers_follow_from_the_permutations(D, H):
    # P² = I exactly when the index array applied twice is the identity
    rows = np.concatenate([np.arange(k * H, (k + 1) * H) for k in (3, 1, 0, 2)])  # a, i, f, o
    cols = np.concatenate([np.arange(H, H + D), np.arange(H)])  # I = [x; h]
    row_self_inverse = bool(np.array_equal(rows[rows], np.arange(4 * H)))
    col_self_inverse = bool(np.array_equal(cols[cols], np.arange(H + D)))
    assert row_self_inverse is False
    assert col_self_inverse is (D == H)
    if D != H:  # the chapter asks at D != H
        assert E.check_answer("ex-split-inverse", row_self_inverse=row_self_inverse,
                              col_self_inverse=col_self_inverse).ok
        # the inverse is the transposed permutation, i.e. the argsort of the index array
        W_fused = np.arange(4 * H * (H + D), dtype=float).reshape(4 * H, H + D)
        theta = W_fused[rows][:, cols]
        np.testing.assert_array_equal(theta[np.argsort(rows)][:, np.argsort(cols)], W_fused)
        assert not np.array_equal(theta[rows][:, cols], W_fused)
