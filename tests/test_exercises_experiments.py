"""lstm_ref.exercises.experiments: the experiment chapters' checkers and question answers.

Oracles, independent of the checkers' mistake models (which change the inputs and outputs of
lstm_ref's functions):

* the reader functions below, written as a reader would write them: plain NumPy, one switch
  per mistake. Without a mistake they are checked against the targets ``adding_batch`` drew,
  against a pure-Python half-life found by bisection on f^k = 1/2, and against a pure-Python
  softmax (math.exp);
* the answers of the question exercises (ANSWERS) against simulations (the adding problem's
  constant output), against the gradient of a small stacked model (how far back a window's
  gradient reaches) and against the add-one bigram table of a random text;
* the list of mistakes, written out here, not read from the checkers.

FIELDS, READERS and LSTM_REF_READERS are importable by tests/test_exercises.py, where the
shared tests run over every registered checker.
"""

import math

import numpy as np
import pytest

import lstm_ref
from lstm_ref import exercises as E
from lstm_ref.exercises.experiments import ADDING_TARGET, HALF_LIFE, TEMPERATURE
from lstm_ref.experiments import adding

SEEDS = (0, 1, 2)
FIELDS = {"adding_target": ("y",), "half_life": ("k",), "temperature": ("p",)}
MISTAKES = {
    "adding_target": ["no_offset", "half_not_quarter", "marker_nonzero", "plain_sum"],
    "half_life": ["log2_with_ln", "ln_with_log2", "sigma_is_b", "sign", "first_order"],
    "temperature": ["times_tau", "no_temperature", "wrong_axis", "powers_not_renormalized",
                    "log_probabilities"],
}
SPECS = {"adding_target": ADDING_TARGET, "half_life": HALF_LIFE, "temperature": TEMPERATURE}
CHECKERS = {"adding_target": E.check_adding_target, "half_life": E.check_half_life,
            "temperature": E.check_temperature}
# the skeletons' names in the chapters' "your turn" cells
SKELETONS = {"adding_target": "my_target", "half_life": "my_half_life",
             "temperature": "my_temperature_probs"}


# ------------------------------------------------------------------ reader functions

def reader_adding_target(x, bug=None):
    """A reader's target 0.5 + (X1 + X2)/4 of each sequence in x (L, B, 2)."""
    u, m = x[:, :, 0], x[:, :, 1]
    marked = (m != 0) if bug == "marker_nonzero" else (m == 1)
    s = (u * marked).sum(axis=0)  # (B,) X1 + X2
    if bug == "plain_sum":
        return s
    y = s / 2 if bug == "half_not_quarter" else s / 4
    return y if bug == "no_offset" else 0.5 + y


def reader_half_life(b_f, bug=None):
    """A reader's half-life k (f^k = 1/2) of a forget gate with bias b_f."""
    f = b_f if bug == "sigma_is_b" else 1 / (1 + np.exp(-b_f))
    if bug == "log2_with_ln":
        return np.log2(0.5) / np.log(f)
    if bug == "ln_with_log2":
        return np.log(0.5) / np.log2(f)
    if bug == "sign":
        return np.log(2) / np.log(f)
    if bug == "first_order":
        return np.log(2) / (1 - f)
    return np.log(2) / -np.log(f)


def reader_temperature(v, tau, bug=None):
    """A reader's softmax(v / tau), row by row."""
    if bug == "powers_not_renormalized":
        e = np.exp(v - v.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)) ** (1 / tau)
    z = {"times_tau": v * tau, "no_temperature": v}.get(bug, v / tau)
    axis = 0 if bug == "wrong_axis" else 1
    z = z - z.max(axis=axis, keepdims=True)
    if bug == "log_probabilities":
        return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
    return np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True)


READERS = {name: {bug: (lambda *a, bug=bug, fn=fn: fn(*a, bug=bug))
                  for bug in [None] + MISTAKES[name]}
           for name, fn in (("adding_target", reader_adding_target),
                            ("half_life", reader_half_life),
                            ("temperature", reader_temperature))}


def _adding_loop(x):
    """The target as adding_batch computes it: X1 (the earlier marked pair) plus X2."""
    y = []
    for b in range(x.shape[1]):
        first, second = np.flatnonzero(x[:, b, 1] == 1)
        y.append(0.5 + (x[first, b, 0] + x[second, b, 0]) / 4.0)
    return np.array(y)


LSTM_REF_READERS = {
    "adding_target": _adding_loop,
    "half_life": lambda b_f: np.log(2) / -np.log(lstm_ref.sigmoid(b_f)),
    "temperature": lambda v, tau: lstm_ref.softmax(v / tau),
}


def _checker_args(name, seed=0):
    seen = []

    def spy(*args):
        seen.append(tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args))
        return READERS[name][None](*args)
    CHECKERS[name](spy, seed=seed)
    return seen[0]


# ------------------------------------------------------------------ the oracles

@pytest.mark.parametrize("T, B, seed", [(10, 1, 0), (20, 6, 1), (100, 3, 2), (37, 50, 3)])
def test_adding_reader_recomputes_the_drawn_targets(T, B, seed):
    x, y = adding.adding_batch(np.random.default_rng(seed), T, B)
    np.testing.assert_array_equal(reader_adding_target(x), y)
    np.testing.assert_array_equal(_adding_loop(x), y)


def test_adding_reader_sees_the_first_pair_marked():
    # X1 = 0 when the very first pair is X1's: its value is zeroed, its marker 1
    x, y = adding.adding_batch(np.random.default_rng(7), 10, 400)
    first_marked = x[0, :, 1] == 1
    assert (x[0, first_marked, 0] == 0).any()
    np.testing.assert_array_equal(reader_adding_target(x), y)


def _half_life_by_bisection(f):
    lo, hi = 0.0, 1.0
    while f ** hi > 0.5:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f ** mid > 0.5 else (lo, mid)
    return (lo + hi) / 2


@pytest.mark.parametrize("b", [-2.0, 0.0, 0.5, 1.0, 3.0, 5.0, 8.0])
def test_half_life_reader_against_bisection(b):
    f = 1 / (1 + math.exp(-b))
    k = float(reader_half_life(np.array(b)))
    assert k == pytest.approx(_half_life_by_bisection(f), rel=1e-10)
    assert f ** k == pytest.approx(0.5, rel=1e-12)


def test_half_lives_of_the_chapter():
    k = reader_half_life(np.array([1.0, 5.0]))
    np.testing.assert_allclose(k, [2.2126778, 103.2183485], rtol=1e-7)


def test_temperature_reader_against_a_python_loop():
    rng = np.random.default_rng(41)
    v = 3 * rng.standard_normal((4, 6))
    for tau in (0.25, 0.7, 1.0, 1.5):
        got = reader_temperature(v, tau)
        for b in range(4):
            e = [math.exp(vk / tau) for vk in v[b]]
            np.testing.assert_allclose(got[b], [x / sum(e) for x in e], rtol=1e-12)
        np.testing.assert_allclose(got, LSTM_REF_READERS["temperature"](v, tau), rtol=1e-13)


# ------------------------------------------------------------------ the checkers

def test_the_mistakes_are_the_listed_ones():
    for name, spec in SPECS.items():
        assert [m.name for m in spec.mistakes] == MISTAKES[name], name
        assert spec.name == f"check_{name}"
        assert E.EXERCISES[name] is CHECKERS[name]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(CHECKERS))
def test_correct_reader_passes_and_lstm_ref_bit_for_bit(name, seed, capsys):
    v = CHECKERS[name](READERS[name][None], seed=seed)
    assert (v.ok, v.diagnosis) == (True, "correct")
    assert v.message.startswith(f"✓ check_{name}: correct ({FIELDS[name][0]} match, max_rel_err=")
    assert capsys.readouterr().out == v.message + "\n"
    v = CHECKERS[name](LSTM_REF_READERS[name], seed=seed)
    assert v.ok and v.message.endswith("max_rel_err=0.0e+00)"), v.message


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name, mistake", [(n, m) for n in MISTAKES for m in MISTAKES[n]])
def test_each_mistake_is_named(name, mistake, seed, capsys):
    v = CHECKERS[name](READERS[name][mistake], expect=mistake, seed=seed)
    assert (v.ok, v.diagnosis) == (False, mistake)
    out = capsys.readouterr().out
    assert out == v.message + "\n"
    assert " ".join(out.split()).startswith(f"✗ check_{name}: {mistake} — ")
    assert all(len(line) <= 88 for line in out.splitlines())
    with pytest.raises(E.ExerciseFailed, match=mistake):
        CHECKERS[name](READERS[name][mistake], seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(CHECKERS))
def test_no_two_answers_coincide(name, seed):
    args = _checker_args(name, seed)
    outs = {bug: np.asarray(fn(*args)) for bug, fn in READERS[name].items()}
    for p in outs:
        for q in outs:
            if p != q:
                assert not (outs[p].shape == outs[q].shape
                            and np.allclose(outs[p], outs[q], rtol=1e-7, atol=1e-10)), (p, q)


def test_the_checkers_call_with_the_documented_arguments():
    (x,) = _checker_args("adding_target")
    assert x.ndim == 3 and x.shape[1:] == (6, 2) and 20 <= x.shape[0] <= 22
    assert set(np.unique(x[:, :, 1])) == {-1.0, 0.0, 1.0}
    (b_f,) = _checker_args("half_life")
    assert b_f.shape == (2, 3) and b_f.min() >= 0.5 and b_f.max() <= 6.0
    v, tau = _checker_args("temperature")
    assert v.shape == (3, 5) and type(tau) is float and tau == 0.7


@pytest.mark.parametrize("name", list(CHECKERS))
def test_not_attempted_line_of_the_chapter(name, capsys):
    def skeleton(*args):
        raise NotImplementedError
    skeleton.__name__ = SKELETONS[name]
    v = CHECKERS[name](skeleton)
    assert (v.ok, v.diagnosis) == (False, "not_attempted")
    assert v.message.startswith(f"○ check_{name}: not attempted yet — fill in {SKELETONS[name]} "
                                "above and re-run")
    assert "\n" not in v.message and len(v.message) <= 88
    assert capsys.readouterr().out == v.message + "\n"


def test_the_messages_say_what_to_do():
    msg = {name: {m.name: m.message for m in spec.mistakes} for name, spec in SPECS.items()}
    assert "0.5 + (X1 + X2)/4" in msg["adding_target"]["no_offset"]
    assert "marker is 1" in msg["adding_target"]["marker_nonzero"]
    assert "1/e" in msg["half_life"]["log2_with_ln"]
    assert "σ(b_f)" in msg["half_life"]["sigma_is_b"]
    assert "axis=1" in msg["temperature"]["wrong_axis"]


def test_a_one_dimensional_target_as_a_column_is_the_wrong_shape():
    v = E.check_adding_target(lambda x: reader_adding_target(x)[:, None], expect="shape")
    assert "y has the wrong shape: expected (6,), got (6, 1)" in v.message


def test_reader_cannot_change_the_checkers_inputs():
    def vandal(x):
        y = reader_adding_target(x)
        x[...] = 0.0
        return y
    assert E.check_adding_target(vandal).ok


def test_bad_checker_arguments():
    for checker in CHECKERS.values():
        with pytest.raises(TypeError, match="fn: expected a callable, got int"):
            checker(3)
        with pytest.raises(ValueError, match="expect: expected None or one of"):
            checker(lambda *a: 0, expect="no_such_mistake")


# ------------------------------------------------------------------ question exercises

def test_constant_output_of_the_adding_problem_by_simulation():
    # X1, X2 independent U(-1, 1): the best constant is E[y] = 0.5
    rng = np.random.default_rng(1997)
    n = 2_000_000
    s = rng.uniform(-1, 1, n) + rng.uniform(-1, 1, n)
    e = s / 4  # the error of the constant 0.5
    want = E.ANSWERS["ex-adding-const"][2]()
    assert np.mean(e ** 2) == pytest.approx(want["mse"], abs=4 * np.std(e ** 2) / np.sqrt(n))
    wrong = np.abs(e) >= adding.CORRECT_BELOW
    assert np.mean(wrong) == pytest.approx(want["p_wrong"], abs=4 * 0.37 / np.sqrt(n))
    assert want["p_wrong"] == pytest.approx(0.8464, abs=1e-12)
    # any other constant c does worse: E[(y − c)²] = Var(y) + (0.5 − c)²
    for c in (0.45, 0.55):
        assert np.mean((0.5 + e - c) ** 2) > np.mean(e ** 2)


def test_constant_output_on_adding_batch_where_x1_is_zeroed():
    # the task zeroes X1 in one sequence in ten (first pair marked): the solution's figures
    rng = np.random.default_rng(5)
    errs = np.concatenate([adding.adding_batch(rng, 10, 100_000)[1] - 0.5 for _ in range(5)])
    n = len(errs)
    sem = np.std(errs ** 2) / np.sqrt(n)
    assert np.mean(errs ** 2) == pytest.approx((0.9 / 3 + 1 / 3) / 16, abs=4 * sem)
    assert np.mean(np.abs(errs) >= 0.04) == pytest.approx(0.9 * 0.8464 + 0.1 * 0.84,
                                                         abs=4 * 0.37 / np.sqrt(n))


def test_how_far_back_a_windows_gradient_reaches():
    # every window position reads a distinct symbol, so column x_s of dW_x collects the
    # gradient that reaches input s; the loss of prediction t reaches s exactly when s <= t
    k, K, B = 6, 8, 1
    cfg = lstm_ref.LSTMConfig()
    rng = np.random.default_rng(3)
    params = lstm_ref.init_stack_params(cfg, K, (3, 2), rng)
    window = rng.permutation(K)[:k + 1].reshape(k + 1, B)
    h0 = tuple(rng.standard_normal((B, H)) for H in (3, 2))  # a carried state
    c0 = tuple(rng.standard_normal((B, H)) for H in (3, 2))
    logits, cache = lstm_ref.stack_forward(window[:-1], params, cfg, h0=h0, c0=c0)
    lags = []
    for t in range(k):  # the prediction at window step t + 1
        dlogits = np.zeros_like(logits)
        dlogits[t] = lstm_ref.softmax_cross_entropy(logits[t], window[t + 1])[1]
        dW_x = lstm_ref.stack_backward(dlogits, cache).layers[0].W_x  # (4H_1, K)
        reached = [s for s in range(k) if np.abs(dW_x[:, window[s, 0]]).max() > 0]
        assert reached == list(range(t + 1)), t
        lags.append(t - min(reached))
    want = E.ANSWERS["ex-charlm-lag"][2](k)
    assert (max(lags), np.mean(lags)) == (want["max_lag"], want["avg_lag"])


def test_unseen_mass_of_the_add_one_bigram():
    rng = np.random.default_rng(9)
    K = 7
    train = rng.integers(0, K, size=60)
    n_ab = np.zeros((K, K))
    for a, b in zip(train[:-1], train[1:]):
        n_ab[a, b] += 1
    p = (n_ab + 1) / (n_ab.sum(axis=1, keepdims=True) + K)  # the chapter's p(b | a)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    for a in range(K):
        n, u = int(n_ab[a].sum()), int((n_ab[a] > 0).sum())
        want = E.ANSWERS["ex-charlm-unseen"][2](n, u, K)["unseen_mass"]
        assert p[a, n_ab[a] == 0].sum() == pytest.approx(want, rel=1e-12)
