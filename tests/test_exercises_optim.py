"""lstm_ref.exercises.optim: the Adam checker names every mistake it knows.

Oracles, independent of the checker's mistake models (which change the inputs and outputs of
lstm_ref.optim.adam_step):

* the reader functions below, written as a reader would write them: plain NumPy, one switch
  per mistake. Without a mistake the reader is checked against a transparent loop (one float
  at a time, Kingma & Ba's Algorithm 1) and against lstm_ref.optim.adam_step;
* the list of mistakes, written out here, not read from the checker.

FIELDS, READERS and LSTM_REF_READERS are importable by tests/test_exercises.py (as the
split checker's are) once the checker is registered in lstm_ref.exercises.EXERCISES.
"""

import math

import numpy as np
import pytest

from lstm_ref import optim
from lstm_ref.exercises import ExerciseFailed
from lstm_ref.exercises.optim import ADAM_STEP, check_adam_step

SEEDS = (0, 1, 2)
FIELDS = {"adam_step": ("theta", "m", "v")}
MISTAKES = {"adam_step": ["no_bias_correction", "old_t_in_correction", "eps_inside_root",
                          "betas_swapped", "m_v_swapped", "sign"]}


# ------------------------------------------------------------------ reader functions

def reader_adam_step(theta, g, m, v, t, lr, beta1, beta2, eps, bug=None):
    """A reader's Adam update of one array; ``bug`` names the mistake it makes."""
    if bug == "betas_swapped":
        beta1, beta2 = beta2, beta1
    t_new = t if bug == "old_t_in_correction" else t + 1
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    if bug == "no_bias_correction":
        m_hat, v_hat = m, v
    else:
        m_hat, v_hat = m / (1 - beta1 ** t_new), v / (1 - beta2 ** t_new)
    if bug == "eps_inside_root":
        step = lr * m_hat / np.sqrt(v_hat + eps)
    else:
        step = lr * m_hat / (np.sqrt(v_hat) + eps)
    theta = theta + step if bug == "sign" else theta - step
    return (theta, v, m) if bug == "m_v_swapped" else (theta, m, v)


def lstm_ref_adam_step(theta, g, m, v, t, lr, beta1, beta2, eps):
    p, s = optim.adam_step({"x": theta}, {"x": g}, optim.AdamState({"x": m}, {"x": v}, t),
                           lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    return p["x"], s.m["x"], s.v["x"]


READERS = {"adam_step": {bug: (lambda *a, bug=bug: reader_adam_step(*a, bug=bug))
                         for bug in [None] + MISTAKES["adam_step"]}}
LSTM_REF_READERS = {"adam_step": lstm_ref_adam_step}


def _checker_args(seed=0):
    seen = []

    def spy(*args):
        seen.append(tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args))
        return reader_adam_step(*args)
    check_adam_step(spy, seed=seed)
    return seen[0]


# ------------------------------------------------------------------ the oracles

@pytest.mark.parametrize("shape, t", [((2, 3), 3), ((1,), 0), ((4, 1), 7)])
def test_correct_reader_matches_a_transparent_loop_and_lstm_ref(shape, t):
    rng = np.random.default_rng(40)
    theta, g, m = (rng.standard_normal(shape) for _ in range(3))
    v = 0.1 * rng.standard_normal(shape) ** 2
    hyper = dict(lr=0.05, beta1=0.8, beta2=0.95, eps=1e-3)
    got = reader_adam_step(theta, g, m, v, t, *hyper.values())
    want = [[], [], []]
    for th, gj, mj, vj in zip(theta.ravel(), g.ravel(), m.ravel(), v.ravel()):
        mj = 0.8 * mj + 0.2 * gj
        vj = 0.95 * vj + 0.05 * gj ** 2
        m_hat, v_hat = mj / (1 - 0.8 ** (t + 1)), vj / (1 - 0.95 ** (t + 1))
        for out, x in zip(want, (th - 0.05 * m_hat / (math.sqrt(v_hat) + 1e-3), mj, vj)):
            out.append(x)
    for a, w in zip(got, want):
        np.testing.assert_allclose(a, np.reshape(w, shape), rtol=1e-13, atol=1e-15)
    for a, b in zip(got, lstm_ref_adam_step(theta, g, m, v, t, **hyper)):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-16)


def test_the_mistakes_are_the_listed_ones():
    assert [m.name for m in ADAM_STEP.mistakes] == MISTAKES["adam_step"]
    assert ADAM_STEP.name == "check_adam_step"


def test_the_checker_calls_with_the_documented_arguments():
    theta, g, m, v, t, *hyper = _checker_args()
    assert hyper == [0.1, 0.9, 0.999, 0.01] and all(type(h) is float for h in hyper)
    assert t == 3 and type(t) is int
    assert all(isinstance(a, np.ndarray) and a.shape == (2, 3) and a.dtype == np.float64
               for a in (theta, g, m, v))
    assert v.min() >= 0


# ------------------------------------------------------------------ the checker

@pytest.mark.parametrize("seed", SEEDS)
def test_correct_reader_passes_and_lstm_ref_bit_for_bit(seed, capsys):
    v = check_adam_step(READERS["adam_step"][None], seed=seed)
    assert (v.ok, v.diagnosis) == (True, "correct")
    assert v.message.startswith("✓ check_adam_step: correct (theta, m, v match, max_rel_err=")
    assert capsys.readouterr().out == v.message + "\n"
    v = check_adam_step(lstm_ref_adam_step, seed=seed)
    assert v.ok and v.message.endswith("max_rel_err=0.0e+00)"), v.message


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mistake", MISTAKES["adam_step"])
def test_each_mistake_is_named(mistake, seed, capsys):
    v = check_adam_step(READERS["adam_step"][mistake], expect=mistake, seed=seed)
    assert (v.ok, v.diagnosis) == (False, mistake)
    out = capsys.readouterr().out
    assert out == v.message + "\n"
    assert " ".join(out.split()).startswith(f"✗ check_adam_step: {mistake} — ")
    assert all(len(line) <= 88 for line in out.splitlines())
    with pytest.raises(ExerciseFailed, match=mistake):
        check_adam_step(READERS["adam_step"][mistake], seed=seed)


def test_the_messages_say_what_to_do():
    msg = {m.name: m.message for m in ADAM_STEP.mistakes}
    assert "1 − β1ᵗ" in msg["no_bias_correction"]
    assert "√v̂ + ε" in msg["eps_inside_root"] and "source 004" in msg["eps_inside_root"]
    assert "return (theta, m, v)" in msg["m_v_swapped"]


@pytest.mark.parametrize("seed", SEEDS)
def test_no_two_answers_coincide(seed):
    args = _checker_args(seed)
    outs = {bug: fn(*(np.copy(a) for a in args))
            for bug, fn in READERS["adam_step"].items()}
    for p in outs:
        for q in outs:
            if p != q:
                assert not all(np.allclose(a, b, rtol=1e-7, atol=1e-10)
                               for a, b in zip(outs[p], outs[q])), (p, q)


def test_not_attempted_line_of_the_chapter(capsys):
    def my_adam_step(theta, g, m, v, t, lr, beta1, beta2, eps):
        raise NotImplementedError
    v = check_adam_step(my_adam_step)
    assert (v.ok, v.diagnosis) == (False, "not_attempted")
    assert v.message == ("○ check_adam_step: not attempted yet — fill in my_adam_step above "
                         "and re-run this cell")
    assert capsys.readouterr().out == v.message + "\n"
    assert check_adam_step(my_adam_step, expect="not_attempted").diagnosis == "not_attempted"


def test_transposed_shape_unknown_and_wrong_return():
    good = READERS["adam_step"][None]
    v = check_adam_step(lambda *a: (good(*a)[0].T, *good(*a)[1:]),
                        expect="transposed")
    assert "theta is transposed" in v.message and "gradient layout" not in v.message
    v = check_adam_step(lambda *a: (good(*a)[0][:, :-1], *good(*a)[1:]),
                        expect="shape")
    assert "theta has the wrong shape" in v.message
    v = check_adam_step(lambda *a: (good(*a)[0] + 1.0, *good(*a)[1:]),
                        expect="unknown")
    assert "theta[0, 0]" in v.message
    v = check_adam_step(lambda *a: good(*a)[0], expect="wrong_return")
    assert "return (theta, m, v)" in " ".join(v.message.split())
    v = check_adam_step(lambda *a: {"theta": good(*a)[0], "m": good(*a)[1],
                                         "v": good(*a)[2]})
    assert v.ok  # a dict serves


def test_reader_cannot_change_the_checkers_inputs():
    def vandal(theta, g, m, v, t, *hyper):
        out = tuple(np.copy(a) for a in reader_adam_step(theta, g, m, v, t, *hyper))
        for a in (theta, g, m, v):
            a[...] = 0.0
        return out
    assert check_adam_step(vandal).ok
    assert check_adam_step(READERS["adam_step"]["sign"], expect="sign").ok is False


def test_bad_checker_arguments():
    with pytest.raises(TypeError, match="fn: expected a callable, got int"):
        check_adam_step(3)
    with pytest.raises(ValueError, match="expect: expected None or one of"):
        check_adam_step(READERS["adam_step"][None], expect="no_such_mistake")
