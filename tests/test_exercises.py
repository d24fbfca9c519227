"""lstm_ref.exercises: every checker names every mistake it knows, and its answers are lstm_ref's.

Oracles, independent of the checkers' mistake models (which transform lstm_ref's calls):

* the reader functions below, written as a reader would write them: plain NumPy, one
  switch per mistake. With no mistake they are checked against lstm_ref and against
  central finite differences of lstm_ref's forward functions;
* lstm_ref itself: a reader returning lstm_ref's result must match the checker's answer
  bit for bit (``max_rel_err=0.0e+00``).

The family checkers are registered here with full peepholes; their readers and every other
config are in test_exercises_family.py.
"""

import copy
import subprocess
import sys
from functools import partial

import numpy as np
import pytest
from test_exercises_experiments import FIELDS as EXPERIMENTS_FIELDS
from test_exercises_experiments import LSTM_REF_READERS as EXPERIMENTS_LSTM_REF_READERS
from test_exercises_experiments import READERS as EXPERIMENTS_READERS
from test_exercises_family import expected_mistakes, reader_family_backward, reader_family_forward
from test_exercises_optim import FIELDS as OPTIM_FIELDS
from test_exercises_optim import LSTM_REF_READERS as OPTIM_LSTM_REF_READERS
from test_exercises_optim import READERS as OPTIM_READERS
from test_exercises_split import FIELDS as SPLIT_FIELDS
from test_exercises_split import LSTM_REF_READERS as SPLIT_LSTM_REF_READERS
from test_exercises_split import READERS as SPLIT_READERS

import lstm_ref
from lstm_ref import exercises as E
from lstm_ref.exercises._judge import ATOL, RTOL

SEEDS = (0, 1)
FIELDS = {
    "softmax_ce_grad": ("dv",),
    "mse_grad": ("dy_hat",),
    "dW_v": ("dW_v",),
    "cell_forward": ("h", "c"),
    "cell_backward": ("dx", "dh_prev", "dc_prev", "dW", "db"),
    "sequence_backward": ("dx", "dh0", "dc0", "dW", "db"),
    "family_step_forward": ("h", "c"),
    "family_step_backward": ("dx", "dh_prev", "dc_prev", "dW", "db", "dp"),
    **SPLIT_FIELDS,  # source 003's layout: readers in test_exercises_split.py
    **OPTIM_FIELDS,  # the optimizers: readers in test_exercises_optim.py
    **EXPERIMENTS_FIELDS,  # the experiment chapters: readers in test_exercises_experiments.py
}
FAMILY_FULL = lstm_ref.LSTMConfig(peephole="full")  # the family checkers' registered config


# ------------------------------------------------------------------ reader functions

def _softmax(v):
    e = np.exp(v - v.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _onehot(v, y):
    return np.eye(v.shape[1])[y]


def _sig(a):
    return 1 / (1 + np.exp(-a))


def _gate_rows(H, bug):
    """Row slices of W that the reader takes for f, i, o, g."""
    order = {"gate_order_ifog": "ifog", "gate_order_ifgo": "ifgo"}.get(bug, "fiog")
    return tuple(slice(order.index(n) * H, (order.index(n) + 1) * H) for n in "fiog")


def reader_step_forward(x, h_prev, c_prev, W, b, bug=None):
    """A reader's forward step in plain NumPy; ``bug`` names the mistake it makes."""
    H = h_prev.shape[1]
    rf, ri, ro, rg = _gate_rows(H, bug)
    z = np.concatenate([x, h_prev] if bug == "stack_x_first" else [h_prev, x], axis=1)
    a = z @ W.T if bug == "missing_bias" else z @ W.T + b
    f, i, o = _sig(a[:, rf]), _sig(a[:, ri]), _sig(a[:, ro])
    g = _sig(a[:, rg]) if bug == "sigmoid_candidate" else np.tanh(a[:, rg])
    c = (c_prev if bug == "no_forget_gate" else f * c_prev) + i * g
    h = o * (c if bug == "missing_tanh_on_c" else np.tanh(c))
    return (c, h) if bug == "returns_c_h" else (h, c)


def reader_step_backward(dh, dc_next, x, h_prev, c_prev, W, b, bug=None):
    """A reader's backward step in plain NumPy (its own forward inside)."""
    H = h_prev.shape[1]
    rf, ri, ro, rg = _gate_rows(H, bug)
    z = np.concatenate([h_prev, x], axis=1)
    a = z @ W.T + b
    f, i, o, g = _sig(a[:, rf]), _sig(a[:, ri]), _sig(a[:, ro]), np.tanh(a[:, rg])
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dtanh = 1 - tc if bug == "tanh_not_squared" else 1 - tc**2
    dc = dh * o * dtanh + (0 if bug == "missing_dc_next" else dc_next)
    dsig = (lambda s: 1.0) if bug == "missing_sigmoid_derivative" else (lambda s: s * (1 - s))
    da = np.empty_like(a)
    da[:, rf] = dc * c_prev * dsig(f)
    da[:, ri] = dc * g * dsig(i)
    da[:, ro] = dh * tc * dsig(o)
    da[:, rg] = dc * i * (1 - g**2)
    dz = da @ W
    dc_prev = (dc_next if bug == "dc_prev_only_dc_next" else dc) * f
    dx, dh_prev = (dz[:, :H], dz[:, H:]) if bug == "dx_dh_prev_swapped" else (dz[:, H:], dz[:, :H])
    if bug == "mean_over_batch":
        dW, db = da.T @ z / len(x), da.mean(axis=0)
    else:
        dW, db = da.T @ z, da.sum(axis=0)
    out = dict(dx=dx, dh_prev=dh_prev, dc_prev=dc_prev, dW=dW, db=db)
    return {k: -v for k, v in out.items()} if bug == "sign" else out


def reader_bptt(dh, x, h0, c0, W, b, bug=None):
    """A reader's BPTT loop over the reader's own step functions."""
    T = x.shape[0]
    hs, cs = [h0], [c0]
    for t in range(T):
        h, c = reader_step_forward(x[t], hs[-1], cs[-1], W, b)
        hs.append(h)
        cs.append(c)
    dx, dW, db = np.zeros_like(x), np.zeros_like(W), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in ([T - 1] if bug == "last_step_only" else reversed(range(T))):
        dh_t = dh[t] if bug == "no_dh_next" else dh[t] + dh_next
        dc_t = np.zeros_like(c0) if bug == "no_dc_carry" else dc_next
        g = reader_step_backward(dh_t, dc_t, x[t], hs[t], cs[t], W, b,
                                 bug="mean_over_batch" if bug == "mean_over_batch" else None)
        dx[t] = g["dx"]
        if bug == "dW_overwritten":
            dW, db = g["dW"], g["db"]
        else:
            dW, db = dW + g["dW"], db + g["db"]
        dh_next, dc_next = g["dh_prev"], g["dc_prev"]
    out = dict(dx=dx, dh0=dh_next, dc0=dc_next, dW=dW, db=db)
    return {k: -v for k, v in out.items()} if bug == "sign" else out


READERS = {  # READERS[exercise][mistake], None for the correct answer
    "softmax_ce_grad": {
        None: lambda v, y: _softmax(v) - _onehot(v, y),
        "sign": lambda v, y: _onehot(v, y) - _softmax(v),
        "forgot_y": lambda v, y: _softmax(v),
        "logits_not_probabilities": lambda v, y: v - _onehot(v, y),
        "mean_over_batch": lambda v, y: (_softmax(v) - _onehot(v, y)) / len(y),
    },
    "mse_grad": {
        None: lambda a, y: 2 * (a - y),
        "sign": lambda a, y: 2 * (y - a),
        "missing_factor_2": lambda a, y: a - y,
        "mean_over_batch": lambda a, y: 2 * (a - y) / len(a),
    },
    "dW_v": {
        None: lambda dv, h: dv.T @ h,
        "sign": lambda dv, h: -(dv.T @ h),
        "mean_over_batch": lambda dv, h: dv.T @ h / len(dv),
        "one_example": lambda dv, h: np.outer(dv[0], h[0]),
    },
    "cell_forward": {bug: partial(reader_step_forward, bug=bug) for bug in
                     (None, "gate_order_ifog", "gate_order_ifgo", "stack_x_first",
                      "missing_tanh_on_c", "sigmoid_candidate", "no_forget_gate", "returns_c_h",
                      "missing_bias")},
    "cell_backward": {bug: partial(reader_step_backward, bug=bug) for bug in
                      (None, "missing_dc_next", "tanh_not_squared", "missing_sigmoid_derivative",
                       "dc_prev_only_dc_next", "gate_order_ifog", "gate_order_ifgo",
                       "dx_dh_prev_swapped", "mean_over_batch", "sign")},
    "sequence_backward": {bug: partial(reader_bptt, bug=bug) for bug in
                          (None, "no_dh_next", "no_dc_carry", "last_step_only", "sign",
                           "dW_overwritten", "mean_over_batch")},
    "family_step_forward": {bug: partial(reader_family_forward, bug=bug) for bug in
                            [None] + expected_mistakes("forward", FAMILY_FULL)},
    "family_step_backward": {bug: partial(reader_family_backward, bug=bug) for bug in
                             [None] + expected_mistakes("backward", FAMILY_FULL)},
    **SPLIT_READERS,
    **OPTIM_READERS,
    **EXPERIMENTS_READERS,
}

CASES = [(ex, name) for ex in E.MISTAKES for name in E.MISTAKES[ex]]


def assert_printed_form(message, line):
    """``message`` is ``line`` wrapped: at most 88 columns, continuation lines indented by 4."""
    rows = message.split("\n")
    assert all(len(r) <= 88 for r in rows), message
    assert all(r.startswith("    ") and not r.startswith("     ") for r in rows[1:]), message
    assert " ".join(message.split()) == " ".join(line.split())


def _as_dict(exercise, out):
    fields = FIELDS[exercise]
    if isinstance(out, dict):
        return out
    if isinstance(out, tuple):
        return dict(zip(fields, out))
    return {fields[0]: out}


def _checker_args(exercise, seed=0):
    """The arguments the checker passes to the reader's function."""
    seen = []

    def spy(*args):
        seen.append(copy.deepcopy(args))  # arrays, and the family's params, config, cache
        return READERS[exercise][None](*args)
    E.EXERCISES[exercise](spy, seed=seed)
    return seen[0]


# ----------------------------------------------------- every mistake is recognised

def test_every_mistake_of_every_checker_has_a_reader():
    assert set(E.MISTAKES) == set(E.EXERCISES) == set(READERS) == set(FIELDS)
    for ex in E.MISTAKES:
        assert set(READERS[ex]) == {None} | set(E.MISTAKES[ex]), ex


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("exercise,mistake", CASES)
def test_each_named_mistake_is_recognised(exercise, mistake, seed, capsys):
    fn = READERS[exercise][mistake]
    v = E.EXERCISES[exercise](fn, expect=mistake, seed=seed)
    line = f"✗ check_{exercise}: {mistake} — {E.MISTAKES[exercise][mistake]}"
    assert (v.ok, v.diagnosis) == (False, mistake)
    assert_printed_form(v.message, line)
    assert capsys.readouterr().out == v.message + "\n"
    with pytest.raises(E.ExerciseFailed, match=mistake):
        E.EXERCISES[exercise](fn, seed=seed)


@pytest.mark.parametrize("exercise", list(E.EXERCISES))
def test_mistakes_are_distinguishable_on_the_checker_inputs(exercise):
    """No two answers (the mistakes' and the correct one) coincide, so each diagnosis is unique."""
    args = _checker_args(exercise)
    outs = {bug: _as_dict(exercise, fn(*copy.deepcopy(args)))
            for bug, fn in READERS[exercise].items()}
    for p in outs:
        for q in outs:
            if p != q:
                same = all(np.shape(outs[p][k]) == np.shape(outs[q][k])
                           and np.allclose(outs[p][k], outs[q][k], rtol=RTOL, atol=ATOL)
                           for k in FIELDS[exercise])
                assert not same, (exercise, p, q)


# ------------------------------------------------------------- correct answers

LSTM_REF_READERS = {
    "softmax_ce_grad": lambda v, y: lstm_ref.softmax_cross_entropy(v, y)[1],
    "mse_grad": lambda a, y: lstm_ref.mean_squared_error(a, y, reduction="sum")[1],
    "dW_v": lambda dv, h: lstm_ref.affine_backward(
        dv, lstm_ref.affine_forward(h, np.ones((dv.shape[1], h.shape[1])),
                                    np.ones(dv.shape[1]))[1]).dW_v,
    "cell_forward": lambda *a: lstm_ref.lstm_step_forward(*a)[:2],
    "cell_backward": lambda dh, dc_next, *a: lstm_ref.lstm_step_backward(
        dh, dc_next, lstm_ref.lstm_step_forward(*a)[2]),
    "sequence_backward": lambda dh, *a: lstm_ref.lstm_backward(dh, lstm_ref.lstm_forward(*a)[2]),
    "family_step_forward": lambda *a: lstm_ref.family_step_forward(*a),  # the cache is ignored
    "family_step_backward": lambda *a: lstm_ref.family_step_backward(*a),
    **SPLIT_LSTM_REF_READERS,
    **OPTIM_LSTM_REF_READERS,
    **EXPERIMENTS_LSTM_REF_READERS,
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("exercise", list(E.EXERCISES))
def test_correct_reader_passes(exercise, seed, capsys):
    v = E.EXERCISES[exercise](READERS[exercise][None], seed=seed)
    assert v.ok and v.diagnosis == "correct"
    flat = " ".join(v.message.split())  # a long line wraps under its head
    assert flat.startswith(f"✓ check_{exercise}: correct ({', '.join(FIELDS[exercise])} "
                           "match, max_rel_err=")
    assert capsys.readouterr().out == v.message + "\n"


@pytest.mark.parametrize("exercise", list(E.EXERCISES))
def test_checker_answer_is_lstm_refs_result_bit_for_bit(exercise):
    v = E.check_exercise(exercise, LSTM_REF_READERS[exercise])
    assert v.ok and v.message.endswith("max_rel_err=0.0e+00)"), v.message


def test_fused_sequence_path_passes():
    def fused(dh, x, h0, c0, W, b):
        _, _, cache = lstm_ref.fused_lstm_forward(x, h0, c0, W, b)
        return lstm_ref.fused_lstm_backward(dh, cache)
    assert E.check_sequence_backward(fused).ok


@pytest.mark.parametrize("B,D,H,T", [(1, 2, 3, 1), (2, 4, 3, 3), (3, 1, 2, 2)])
def test_reader_oracles_match_lstm_ref_and_finite_differences(B, D, H, T):
    """The test's correct readers (the oracles above) vs lstm_ref and central differences."""
    rng = np.random.default_rng(20)
    x, h0, c0 = (rng.standard_normal(s) for s in ((T, B, D), (B, H), (B, H)))
    W, b = 0.5 * rng.standard_normal((4 * H, H + D)), 0.5 * rng.standard_normal(4 * H)
    dh, dc_next = rng.standard_normal((T, B, H)), rng.standard_normal((B, H))

    h, c = reader_step_forward(x[0], h0, c0, W, b)
    h_ref, c_ref, _ = lstm_ref.lstm_step_forward(x[0], h0, c0, W, b)
    np.testing.assert_allclose(h, h_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c, c_ref, rtol=1e-12, atol=1e-14)

    def J_step(x, h_prev, c_prev, W, b):
        h, c, _ = lstm_ref.lstm_step_forward(x, h_prev, c_prev, W, b)
        return np.sum(dh[0] * h) + np.sum(dc_next * c)
    g = reader_step_backward(dh[0], dc_next, x[0], h0, c0, W, b)
    step = dict(x=x[0].copy(), h_prev=h0.copy(), c_prev=c0.copy(), W=W.copy(), b=b.copy())
    lstm_ref.gradcheck(J_step, step, {"x": g["dx"], "h_prev": g["dh_prev"],
                                      "c_prev": g["dc_prev"], "W": g["dW"], "b": g["db"]}
                       ).assert_ok()

    def J_seq(x, h0, c0, W, b):
        h, _, _ = lstm_ref.lstm_forward(x, h0, c0, W, b)
        return np.sum(dh * h)
    g = reader_bptt(dh, x, h0, c0, W, b)
    ref = lstm_ref.lstm_backward(dh, lstm_ref.lstm_forward(x, h0, c0, W, b)[2])
    for k in FIELDS["sequence_backward"]:
        np.testing.assert_allclose(g[k], getattr(ref, k), rtol=1e-10, atol=1e-12, err_msg=k)
    seq = dict(x=x.copy(), h0=h0.copy(), c0=c0.copy(), W=W.copy(), b=b.copy())
    lstm_ref.gradcheck(J_seq, seq, {"x": g["dx"], "h0": g["dh0"], "c0": g["dc0"], "W": g["dW"],
                                    "b": g["db"]}).assert_ok()


def test_loss_reader_oracles_match_finite_differences():
    rng = np.random.default_rng(21)
    B, V, H = 3, 4, 2
    v, y = rng.standard_normal((B, V)), rng.integers(0, V, size=B)
    lstm_ref.gradcheck(lambda v: lstm_ref.softmax_cross_entropy(v, y)[0], {"v": v.copy()},
                       {"v": READERS["softmax_ce_grad"][None](v, y)}).assert_ok()
    y_hat, t = rng.standard_normal((B, V)), rng.standard_normal((B, V))
    lstm_ref.gradcheck(lambda y_hat: np.sum((y_hat - t) ** 2), {"y_hat": y_hat.copy()},
                       {"y_hat": READERS["mse_grad"][None](y_hat, t)}).assert_ok()
    dv, h = rng.standard_normal((B, V)), rng.standard_normal((B, H))
    lstm_ref.gradcheck(lambda W_v: np.sum(dv * (h @ W_v.T)), {"W_v": rng.standard_normal((V, H))},
                       {"W_v": READERS["dW_v"][None](dv, h)}).assert_ok()


def test_reader_cannot_change_the_checkers_inputs():
    """The reader gets copies: overwriting them in place does not change the verdict."""
    def vandal(dh, dc_next, x, h_prev, c_prev, W, b):
        out = READERS["cell_backward"][None](dh, dc_next, x, h_prev, c_prev, W, b)
        for a in (dh, dc_next, x, h_prev, c_prev, W, b):
            a[...] = 0.0
        return out
    assert E.check_cell_backward(vandal).ok
    assert E.check_cell_backward(READERS["cell_backward"]["sign"], expect="sign").ok is False


# ------------------------------------------------- transposed, shape, unknown

TRANSPOSABLE = {"softmax_ce_grad": "dv", "mse_grad": "dy_hat", "dW_v": "dW_v",
                "cell_forward": "h", "cell_backward": "dW", "sequence_backward": "dW",
                "family_step_forward": "h", "family_step_backward": "dp",
                "fused_to_split": "W", "split_step_backward": "dW", "adam_step": "theta",
                "half_life": "k", "temperature": "p"}
#: Exercises whose output is one vector: a transposed vector is the vector itself, so only
#: a wrong shape and an unknown answer can be planted (the test below checks it is 1-D).
ONE_D = {"adding_target": "y"}


def _changed(exercise, field, change):
    def fn(*args):
        out = dict(_as_dict(exercise, READERS[exercise][None](*args)))
        out[field] = change(out[field])
        return out
    return fn


@pytest.mark.parametrize("exercise", list(E.EXERCISES))
def test_transposed_shape_and_unknown(exercise):
    assert (exercise in TRANSPOSABLE) != (exercise in ONE_D), exercise
    field = TRANSPOSABLE.get(exercise) or ONE_D[exercise]
    if exercise in ONE_D:
        out = _as_dict(exercise, READERS[exercise][None](*_checker_args(exercise)))
        assert np.ndim(out[field]) == 1, (exercise, np.shape(out[field]))
    else:
        v = E.EXERCISES[exercise](_changed(exercise, field, np.transpose), expect="transposed")
        assert v.diagnosis == "transposed" and f"{field} is transposed" in v.message
        assert ("gradient layout" in v.message) == field.startswith("d")
    v = E.EXERCISES[exercise](_changed(exercise, field, lambda a: a[..., :-1]), expect="shape")
    assert v.diagnosis == "shape" and f"{field} has the wrong shape" in v.message
    v = E.EXERCISES[exercise](_changed(exercise, field, lambda a: a + 1.0), expect="unknown")
    assert v.diagnosis == "unknown" and f"{field} max_rel_err=" in " ".join(v.message.split())


def test_transposed_message_names_the_gradient_layout():
    v = E.check_dW_v(lambda dv, h: h.T @ dv, expect="transposed")
    assert v.message == ("✗ check_dW_v: transposed — dW_v is transposed: got shape (2, 5), "
                         "expected (5, 2)\n    (gradient layout: dW_v has the shape of W_v)")


# ------------------------------------------------------------------ output forms

def test_output_forms_array_tuple_namedtuple_object():
    assert E.check_mse_grad(lambda a, y: 2 * (a - y)).ok  # a bare array
    assert E.check_cell_forward(READERS["cell_forward"][None]).ok  # a tuple (h, c)
    assert E.check_cell_backward(LSTM_REF_READERS["cell_backward"]).ok  # a NamedTuple

    class Out:
        def __init__(self, d):
            self.__dict__.update(d)
    assert E.check_sequence_backward(lambda *a: Out(READERS["sequence_backward"][None](*a))).ok


def test_a_list_serves_as_the_tuple():
    assert E.check_cell_forward(lambda *a: list(READERS["cell_forward"][None](*a))).ok


WRONG_RETURNS = [  # (exercise, the reader's function, the diagnosis after "wrong_return — ")
    ("cell_forward", lambda x, hp, cp, W, b: (hp, cp, x),
     "got a tuple of 3 values; return the tuple (h, c)"),
    ("cell_forward", lambda *a: lstm_ref.lstm_step_forward(*a),
     "got a tuple of 3 values; return the tuple (h, c)"),
    ("cell_forward", lambda *a: None,
     "got None (is the return statement missing?); return the tuple (h, c)"),
    ("cell_forward", lambda x, hp, cp, W, b: hp,
     "got an array of shape (2, 3); return the tuple (h, c)"),
    ("cell_backward", lambda *a: {"dx": 0},
     "got a dict without dh_prev, dc_prev, dW, db; return (dx, dh_prev, dc_prev, dW, db) as "
     "a tuple, NamedTuple or dict"),
    ("cell_backward", lambda *a: None,
     "got None (is the return statement missing?); return (dx, dh_prev, dc_prev, dW, db) as "
     "a tuple, NamedTuple or dict"),
    ("sequence_backward", lambda *a: ("dx", 0, 0, 0, 0),
     "dx is not an array of numbers (got a str); return (dx, dh0, dc0, dW, db) as a tuple, "
     "NamedTuple or dict"),
    ("softmax_ce_grad", lambda v, y: (0.0, _softmax(v) - _onehot(v, y)),
     "got a tuple of 2 values; return the array dv"),
    ("mse_grad", lambda a, y: None,
     "got None (is the return statement missing?); return the array dy_hat"),
    ("dW_v", lambda dv, h: {"dW": dv.T @ h}, "got a dict; return the array dW_v"),
]


@pytest.mark.parametrize("exercise,fn,says", WRONG_RETURNS)
def test_wrong_return_says_what_to_return(exercise, fn, says, capsys):
    with pytest.raises(E.ExerciseFailed, match="wrong_return"):
        E.EXERCISES[exercise](fn)  # a wrong answer: it raises, but no TypeError from inside
    capsys.readouterr()
    v = E.EXERCISES[exercise](fn, expect="wrong_return")
    assert (v.ok, v.diagnosis) == (False, "wrong_return")
    assert_printed_form(v.message, f"✗ check_{exercise}: wrong_return — {says}")
    assert capsys.readouterr().out == v.message + "\n"


# ------------------------------------------------------------- "your turn": not attempted

SKELETON_NAMES = {"softmax_ce_grad": "my_softmax_ce_grad", "mse_grad": "my_mse_grad",
                  "dW_v": "my_dW_v", "cell_forward": "my_step_forward",
                  "cell_backward": "my_step_backward", "sequence_backward": "my_bptt",
                  "family_step_forward": "my_forward", "family_step_backward": "my_backward",
                  "fused_to_split": "my_fused_to_split", "split_step_backward": "my_backward",
                  "adam_step": "my_adam_step", "adding_target": "my_target",
                  "half_life": "my_half_life", "temperature": "my_temperature_probs"}


def _skeleton(exercise, name=None):
    """A reader's unfilled "your turn" cell for ``exercise``."""
    def my_function(*args):
        # your turn: shapes as in the checker's docstring
        raise NotImplementedError
    my_function.__name__ = name or SKELETON_NAMES[exercise]
    return my_function


@pytest.mark.parametrize("exercise", list(E.EXERCISES))
def test_not_attempted_prints_one_line_and_does_not_raise(exercise, capsys):
    fn = _skeleton(exercise)
    line = (f"○ check_{exercise}: not attempted yet — fill in {SKELETON_NAMES[exercise]} above "
            "and re-run")
    line += " this cell" * (len(line) + 10 <= 88)  # on one line always
    for expect in (None, "not_attempted"):
        v = E.EXERCISES[exercise](fn, expect=expect)
        assert (v.exercise, v.ok, v.diagnosis) == (f"check_{exercise}", False, "not_attempted")
        assert v.message == line and len(line) <= 88
        assert capsys.readouterr().out == v.message + "\n"


def test_not_attempted_exact_lines():
    def my_step_forward(x, h_prev, c_prev, W, b):
        # your turn: h, c (B, H)
        raise NotImplementedError

    def bptt(dh, x, h0, c0, W, b):
        raise NotImplementedError
    v = E.check_cell_forward(my_step_forward)
    assert v.message == ("○ check_cell_forward: not attempted yet — fill in my_step_forward "
                         "above and re-run")
    assert str(v) == v.message
    assert E.check_sequence_backward(bptt).message == (
        "○ check_sequence_backward: not attempted yet — fill in bptt above and re-run this cell")
    long_name = _skeleton("sequence_backward", name="my_backpropagation_through_time_attempt")
    v = E.check_sequence_backward(long_name)
    assert_printed_form(v.message, "○ check_sequence_backward: not attempted yet — fill in "
                        "my_backpropagation_through_time_attempt above and re-run")
    assert v.message.count("\n") == 1 and v.diagnosis == "not_attempted"


def test_not_attempted_is_asserted_and_asserts():
    fn = _skeleton("cell_backward")
    with pytest.raises(E.ExerciseFailed, match="diagnosis 'sign', got 'not_attempted'"):
        E.check_cell_backward(fn, expect="sign")
    with pytest.raises(E.ExerciseFailed, match="expected the diagnosis 'not_attempted', got 'co"):
        E.check_cell_backward(READERS["cell_backward"][None], expect="not_attempted")
    with pytest.raises(E.ExerciseFailed, match="'not_attempted', got 'sign'"):
        E.check_cell_backward(READERS["cell_backward"]["sign"], expect="not_attempted")
    v = E.check_dW_v(lambda dv, h: (_ for _ in ()).throw(NotImplementedError))
    assert v.diagnosis == "not_attempted" and "fill in your function above" in v.message


def test_other_errors_of_the_reader_propagate():
    def my_dW_v(dv, h):
        return dv @ h  # (B, V) @ (B, H): the reader's own ValueError, shown as is
    with pytest.raises(ValueError, match="matmul"):
        E.check_dW_v(my_dW_v)


# ------------------------------------------------------------- where an unknown answer differs

def _planted(exercise, field, index, delta=1.0):
    """The correct reader with ``delta`` added to one entry of ``field``; and that entry."""
    args = _checker_args(exercise)
    want = _as_dict(exercise, READERS[exercise][None](*args))[field][index]

    def fn(*a):
        out = dict(_as_dict(exercise, READERS[exercise][None](*a)))
        out[field] = np.array(out[field], dtype=float)
        out[field][index] += delta
        return out
    return fn, want


@pytest.mark.parametrize("exercise,field,index,where", [
    # cell_backward: H = 3, so row 4 of dW is row 1 of the input gate's block
    ("cell_backward", "dW", (4, 5), "dW[4, 5] (gate block i, dW_i[1, 5])"),
    ("cell_backward", "dW", (11, 0), "dW[11, 0] (gate block g, dW_g[2, 0])"),
    ("cell_backward", "db", (7,), "db[7] (gate block o, db_o[1])"),
    ("cell_backward", "dh_prev", (1, 2), "dh_prev[1, 2]"),
    ("sequence_backward", "dW", (0, 6), "dW[0, 6] (gate block f, dW_f[0, 6])"),
    ("sequence_backward", "dx", (1, 0, 3), "dx[1, 0, 3] (time step t=2 of 3; later steps match)"),
    ("sequence_backward", "dx", (2, 1, 0),
     "dx[2, 1, 0] (time step t=3 of 3, the last, where the backward sweep starts)"),
    ("cell_forward", "c", (1, 1), "c[1, 1]"),
    ("softmax_ce_grad", "dv", (2, 4), "dv[2, 4]"),
    ("dW_v", "dW_v", (4, 1), "dW_v[4, 1]"),
])
def test_unknown_names_the_first_difference(exercise, field, index, where):
    fn, want = _planted(exercise, field, index)
    v = E.EXERCISES[exercise](fn, expect="unknown")
    flat = " ".join(v.message.split())
    first = f"First difference: {where}: expected {want:.3g}, got {want + 1.0:.3g}."
    assert first in flat, flat
    assert f"Outputs that differ: {field} max_rel_err=" in flat
    assert_printed_form(v.message, flat)


def test_first_difference_is_the_first_output_and_the_last_time_step():
    args = _checker_args("sequence_backward")
    right = READERS["sequence_backward"][None](*args)

    def fn(*a):
        out = {k: np.array(v) for k, v in READERS["sequence_backward"][None](*a).items()}
        out["dx"][0, 0, 0] += 1.0  # t = 1 and t = 2 wrong: the sweep meets t = 2 first
        out["dx"][1, 1, 1] += 1.0
        out["db"][0] += 1.0
        return out
    flat = " ".join(E.check_sequence_backward(fn, expect="unknown").message.split())
    assert (f"First difference: dx[1, 1, 1] (time step t=2 of 3; later steps match): "
            f"expected {right['dx'][1, 1, 1]:.3g}, got {right['dx'][1, 1, 1] + 1:.3g}.") in flat
    assert "Outputs that differ: dx max_rel_err=" in flat and ", db max_rel_err=" in flat


def test_first_difference_with_nan():
    fn, want = _planted("mse_grad", "dy_hat", (0, 2), delta=np.nan)
    flat = " ".join(E.check_mse_grad(fn, expect="unknown").message.split())
    assert f"First difference: dy_hat[0, 2]: expected {want:.3g}, got nan." in flat


# ------------------------------------------------------------------ 88 columns

def test_long_diagnoses_wrap_under_their_head():
    v = E.check_cell_backward(READERS["cell_backward"]["mean_over_batch"],
                              expect="mean_over_batch")
    rows = v.message.split("\n")
    assert len(rows) == 3 and rows[0].startswith("✗ check_cell_backward: mean_over_batch — dW")
    assert E.wrap("x " * 100).count("\n") == 2  # 200 characters: three lines
    assert E.wrap("see dW[10, 20] and shape (12, 7) " * 4).split("\n")[1].startswith("    ")
    for n in range(70, 90):  # groups, formulas and letter lists are not split
        for kept in ("dW[10, 20]", "(12, 7)", "ŷ − y", "dW += …", "i, f, g, o"):
            assert kept in E.wrap("a" * n + " " + kept).split("\n")[-1], (n, kept)


@pytest.mark.parametrize("exercise", list(E.EXERCISES))
def test_every_message_fits_in_88_columns(exercise, capsys):
    fields = FIELDS[exercise]
    fns = dict(READERS[exercise])
    fns["skeleton"] = _skeleton(exercise)
    fns["none"] = lambda *a: None
    fns["unknown"] = _changed(exercise, fields[-1], lambda a: a + 1.0)
    field = TRANSPOSABLE.get(exercise) or ONE_D[exercise]
    fns["transposed"] = _changed(exercise, field, np.transpose)
    fns["shape"] = _changed(exercise, field, lambda a: a[..., :-1])
    for seed in SEEDS:
        for name, fn in fns.items():
            try:
                v = E.EXERCISES[exercise](fn, seed=seed)
                message = v.message
            except E.ExerciseFailed as err:  # expect=None: the error is the printed text
                message = str(err)
            printed = capsys.readouterr().out
            assert printed == message + "\n", name
            assert all(len(row) <= 88 for row in printed.splitlines()), (name, printed)
    for m in E.MISTAKES[exercise].values():  # the longest exercise name with every message
        assert all(len(row) <= 88 for row in
                   E.wrap(f"✗ check_sequence_backward: some_diagnosis — {m}").split("\n"))


# ------------------------------------------------------------------ expect, bad input

def test_expect_is_asserted():
    with pytest.raises(E.ExerciseFailed, match="expected the diagnosis 'sign'"):
        E.check_cell_backward(READERS["cell_backward"]["tanh_not_squared"], expect="sign")
    with pytest.raises(E.ExerciseFailed, match="expected the diagnosis 'sign', got 'correct'"):
        E.check_cell_backward(READERS["cell_backward"][None], expect="sign")


def test_checker_bad_input():
    with pytest.raises(TypeError, match="fn: expected a callable, got int"):
        E.check_dW_v(3)
    with pytest.raises(ValueError, match="expect: expected None or one of .*got 'typo'"):
        E.check_dW_v(lambda dv, h: dv.T @ h, expect="typo")
    with pytest.raises(ValueError, match="name: expected one of .*got 'nope'"):
        E.check_exercise("nope", lambda: 0)
    with pytest.raises(TypeError, match="seed: expected a non-negative int, got float"):
        E.check_dW_v(lambda dv, h: dv.T @ h, seed=1.5)
    with pytest.raises(TypeError, match="seed: expected a non-negative int, got bool"):
        E.check_dW_v(lambda dv, h: dv.T @ h, seed=True)
    with pytest.raises(ValueError, match="seed: expected a non-negative int, got -1"):
        E.check_dW_v(lambda dv, h: dv.T @ h, seed=-1)


# ------------------------------------------------------------------ no SymPy

def test_importing_exercises_does_not_import_sympy():
    code = "import sys, lstm_ref.exercises; assert 'sympy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_importing_lstm_ref_does_not_import_exercises():
    code = "import sys, lstm_ref; assert 'lstm_ref.exercises' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------- question exercises

_SIZES = {"ex-bptt-many-to-one": {"T": 7}, "ex-bptt-theta": {"H": 2, "D": 3},
          "ex-perf-flops": {"B": 32, "D": 128, "H": 128}, "ex-family-count": {"D": 3, "H": 2},
          "ex-charlm-lag": {"k": 50}, "ex-charlm-unseen": {"n": 89, "u": 10, "K": 112}}


@pytest.mark.parametrize("label", list(E.ANSWERS))
def test_question_exercises_not_attempted_correct_and_wrong(label, capsys):
    names, sizes, correct = E.ANSWERS[label]
    size = _SIZES.get(label, {})
    assert set(size) == set(sizes), label
    v = E.check_answer(label, **size, **{k: None for k in names})
    assert v.diagnosis == "not_attempted" and not v.ok
    assert "not attempted yet" in capsys.readouterr().out
    right = correct(**size)
    assert E.check_answer(label, **size, **right).ok
    wrong = dict(right)
    first = names[0]
    wrong[first] = np.asarray(right[first]) + 1  # off by one: numbers, shapes, indices
    v = E.check_answer(label, **size, **wrong, expect="wrong_value")
    assert first in v.message and str(np.asarray(right[first]).tolist()) not in v.message
    with pytest.raises(E.ExerciseFailed):
        E.check_answer(label, **size, **wrong)
    assert all(len(line) <= 88 for line in capsys.readouterr().out.splitlines())


def test_question_answers_match_the_solutions():
    # the stored answers follow from the chapters' own formulas, computed independently here
    H, D = 2, 3
    W = np.arange(4 * H * (H + D)).reshape(4 * H, H + D)
    rows = np.concatenate([np.arange(k * H, (k + 1) * H) for k in (3, 1, 0, 2)])  # a, i, f, o
    cols = np.concatenate([np.arange(H, H + D), np.arange(H)])  # [x; h]
    Theta = W[rows][:, cols]
    back = E.ANSWERS["ex-bptt-theta"][2](H, D)
    np.testing.assert_array_equal(Theta[back["row_back"]][:, back["col_back"]], W)
    flops = E.ANSWERS["ex-perf-flops"][2](32, 128, 128)
    assert flops["flops_per_step"] == 25_165_824 and flops["in_loop_share"] == pytest.approx(1 / 3)
    da, z = np.ones((1, 3)), np.ones((1, 3))
    shapes = ((da.T @ z).shape, (z.T @ da).shape, np.outer(da[0], z[0]).shape)
    assert E.ANSWERS["ex-mc-square"][2]()["candidates"] == shapes


def test_check_answer_bad_input():
    with pytest.raises(ValueError, match=r"exercise: expected one of"):
        E.check_answer("ex-nope", x=None)
    with pytest.raises(TypeError, match=r"expected the keywords flops_per_step, in_loop_share, B"):
        E.check_answer("ex-perf-flops", flops_per_step=None)


def test_your_turn_says_not_attempted_and_lets_real_errors_through(capsys):
    def dJ_dc(dh):
        raise NotImplementedError

    ran = []
    with E.your_turn("ex-mc-hadamard", dJ_dc):
        dJ_dc(1.0)
        ran.append("after the skeleton")  # skipped
    assert not ran
    assert capsys.readouterr().out == (
        "○ ex-mc-hadamard: not attempted yet — fill in dJ_dc above and re-run this cell\n")
    with pytest.raises(AssertionError):  # a failed check is a failure, not "not attempted"
        with E.your_turn("ex-mc-hadamard", dJ_dc):
            raise AssertionError("wrong")
