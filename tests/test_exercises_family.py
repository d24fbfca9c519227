"""lstm_ref.exercises.family: every (config, mistake) pair is diagnosed, the answer is lstm_ref's.

Oracles, independent of the checkers' mistake models (which change the inputs and outputs of
lstm_ref's family functions):

* the reader functions below, written as a reader would write them: plain NumPy, their own
  forward pass (from the cache's z, c_prev, params and config only), one switch per mistake.
  Without a mistake they are checked against lstm_ref and against central finite differences
  of lstm_ref's forward step, for every config and at odd shapes;
* the list of the mistakes each config admits, written out here, not read from the checker.
"""

import copy
import itertools
from functools import partial

import numpy as np
import pytest

import lstm_ref
from lstm_ref import exercises as E
from lstm_ref.exercises._judge import ATOL, RTOL

CONFIGS = [lstm_ref.LSTMConfig(peephole=k, forget_gate=fg)
           for k, fg in itertools.product(("none", "diagonal", "full"), (True, False))]
SEEDS = (0, 1)
CHECKERS = {"forward": E.check_family_step_forward, "backward": E.check_family_step_backward}
NAMES = {"forward": "check_family_step_forward", "backward": "check_family_step_backward"}
FIELDS = {"forward": ("h", "c"), "backward": ("dx", "dh_prev", "dc_prev", "dW", "db", "dp")}


def _id(config):
    return config.describe().replace("peephole=", "").replace(", ", "-").replace(" ", "_")


def expected_mistakes(which, config):
    """The mistakes a config admits, written out independently of the checker."""
    peep = config.peephole != "none"
    if which == "forward":
        names = ["stack_x_first", "missing_tanh_on_c", "returns_c_h", "missing_bias"]
        names += ["missing_peepholes", "output_peephole_sees_c_prev"] * peep
        names += ["peephole_transposed"] * (config.peephole == "full")
        return names
    names = ["missing_dc_next", "tanh_not_squared", "dx_dh_prev_swapped", "mean_over_batch",
             "sign"]
    names += ["no_output_peephole_path", "no_next_step_peephole_paths", "dp_output_sees_c_prev",
              "dp_mean_over_batch"] * peep
    names += ["peephole_not_transposed"] * (config.peephole == "full")
    names += ["forget_gate_in_carousel"] * (not config.forget_gate)
    return names


# ------------------------------------------------------------------ reader functions

def _sig(a):
    return 1 / (1 + np.exp(-a))


def _blocks(M, names, H):
    return {k: M[j * H:(j + 1) * H] for j, k in enumerate(names)}


def reader_family_forward(x, h_prev, c_prev, params, config, bug=None):
    """A reader's forward step of any family cell, in plain NumPy."""
    W, b, p = params
    H = h_prev.shape[1]
    z = np.concatenate([x, h_prev] if bug == "stack_x_first" else [h_prev, x], axis=1)
    a_all = z @ W.T if bug == "missing_bias" else z @ W.T + b
    a = {k: a_all[:, j * H:(j + 1) * H] for j, k in enumerate(config.gates)}
    P = {} if p is None or bug == "missing_peepholes" else _blocks(p, config.peephole_gates, H)

    def peek(k, c):  # the term P_k c on rows
        if k not in P:
            return 0.0
        if config.peephole == "diagonal":
            return P[k] * c
        return c @ P[k] if bug == "peephole_transposed" else c @ P[k].T

    i = _sig(a["i"] + peek("i", c_prev))
    g = np.tanh(a["g"])
    if config.forget_gate:
        f = _sig(a["f"] + peek("f", c_prev))
        c = f * c_prev + i * g
    else:
        c = c_prev + i * g
    o = _sig(a["o"] + peek("o", c_prev if bug == "output_peephole_sees_c_prev" else c))
    h = o * (c if bug == "missing_tanh_on_c" else np.tanh(c))
    return (c, h) if bug == "returns_c_h" else (h, c)


def reader_family_backward(dh, dc_next, cache, bug=None):
    """A reader's backward step: its own forward from z, c_prev, params, then the backward."""
    config, z, c_prev, (W, b, p) = cache.config, cache.z, cache.c_prev, cache.params
    B, H = c_prev.shape
    a_all = z @ W.T + b
    a = {k: a_all[:, j * H:(j + 1) * H] for j, k in enumerate(config.gates)}
    P = {} if p is None else _blocks(p, config.peephole_gates, H)
    diag = config.peephole == "diagonal"

    def peek(k, c):  # forward: P_k c on rows
        return 0.0 if k not in P else (P[k] * c if diag else c @ P[k].T)

    def back(k, d):  # backward along the same edge: P_kᵀ d on rows
        if diag:
            return d * P[k]
        return d @ P[k].T if bug == "peephole_not_transposed" else d @ P[k]

    s = {"i": _sig(a["i"] + peek("i", c_prev)), "g": np.tanh(a["g"])}
    if config.forget_gate:
        s["f"] = _sig(a["f"] + peek("f", c_prev))
        c = s["f"] * c_prev + s["i"] * s["g"]
    else:
        c = c_prev + s["i"] * s["g"]
    s["o"] = _sig(a["o"] + peek("o", c))
    tc = np.tanh(c)

    da = {"o": dh * tc * s["o"] * (1 - s["o"])}
    dtanh = 1 - tc if bug == "tanh_not_squared" else 1 - tc**2
    dc = dh * s["o"] * dtanh + (0 if bug == "missing_dc_next" else dc_next)
    if "o" in P and bug != "no_output_peephole_path":
        dc = dc + back("o", da["o"])
    da["g"] = dc * s["i"] * (1 - s["g"] ** 2)
    da["i"] = dc * s["g"] * s["i"] * (1 - s["i"])
    if config.forget_gate:
        da["f"] = dc * c_prev * s["f"] * (1 - s["f"])
        dc_prev = dc * s["f"]
    else:
        dc_prev = dc * s["i"] if bug == "forget_gate_in_carousel" else dc
    if bug != "no_next_step_peephole_paths":
        for k in ("f", "i"):
            if k in P:
                dc_prev = dc_prev + back(k, da[k])
    da_all = np.concatenate([da[k] for k in config.gates], axis=1)
    dz = da_all @ W
    dx, dh_prev = dz[:, H:], dz[:, :H]
    if bug == "dx_dh_prev_swapped":
        dx, dh_prev = dh_prev, dx
    n = B if bug == "mean_over_batch" else 1
    dW, db = da_all.T @ z / n, da_all.sum(axis=0) / n
    dp = None
    if P:
        seen = {"f": c_prev, "i": c_prev,
                "o": c_prev if bug == "dp_output_sees_c_prev" else c}
        parts = [(da[k] * seen[k]).sum(axis=0) if diag else da[k].T @ seen[k]
                 for k in config.peephole_gates]
        dp = np.concatenate(parts) / (B if bug in ("mean_over_batch", "dp_mean_over_batch")
                                      else 1)
    out = dict(dx=dx, dh_prev=dh_prev, dc_prev=dc_prev, dW=dW, db=db, dp=dp)
    if bug == "sign":
        out = {k: None if v is None else -v for k, v in out.items()}
    return out


READERS = {"forward": reader_family_forward, "backward": reader_family_backward}


def reader(which, bug=None):
    return partial(READERS[which], bug=bug)


CASES = [(which, config, m) for config in CONFIGS for which in ("forward", "backward")
         for m in expected_mistakes(which, config)]


def _checker_args(which, config, seed=0):
    seen = []

    def spy(*args):
        seen.append(copy.deepcopy(args))
        return READERS[which](*args)
    CHECKERS[which](spy, config=config, seed=seed)
    return seen[0]


def _as_dict(which, out):
    return out if isinstance(out, dict) else dict(zip(FIELDS[which], out))


def assert_printed_form(message, line):
    rows = message.split("\n")
    assert all(len(r) <= 88 for r in rows), message
    assert all(r.startswith("    ") and not r.startswith("     ") for r in rows[1:]), message
    assert " ".join(message.split()) == " ".join(line.split())


# ------------------------------------------------------------ every mistake is diagnosed

@pytest.mark.parametrize("config", CONFIGS, ids=_id)
@pytest.mark.parametrize("which", ["forward", "backward"])
def test_each_config_names_exactly_the_mistakes_it_admits(which, config):
    spec = (E.family_forward_exercise if which == "forward" else E.family_backward_exercise)
    assert [m.name for m in spec(config).mistakes] == expected_mistakes(which, config)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("which,config,mistake", CASES,
                         ids=[f"{w}-{_id(c)}-{m}" for w, c, m in CASES])
def test_each_mistake_is_diagnosed(which, config, mistake, seed, capsys):
    fn = reader(which, mistake)
    v = CHECKERS[which](fn, config=config, expect=mistake, seed=seed)
    assert (v.ok, v.diagnosis) == (False, mistake)
    spec = (E.family_forward_exercise if which == "forward" else E.family_backward_exercise)
    message = {m.name: m.message for m in spec(config).mistakes}[mistake]
    assert_printed_form(v.message, f"✗ {NAMES[which]}: {mistake} — {message}")
    assert capsys.readouterr().out == v.message + "\n"
    with pytest.raises(E.ExerciseFailed, match=mistake):
        CHECKERS[which](fn, config=config, seed=seed)


@pytest.mark.parametrize("config", CONFIGS, ids=_id)
@pytest.mark.parametrize("which", ["forward", "backward"])
def test_mistakes_are_distinguishable_on_the_checker_inputs(which, config):
    args = _checker_args(which, config)
    outs = {bug: _as_dict(which, READERS[which](*copy.deepcopy(args), bug=bug))
            for bug in [None] + expected_mistakes(which, config)}
    fields = [k for k in FIELDS[which] if outs[None].get(k) is not None]
    for p, q in itertools.combinations(outs, 2):
        same = all(np.shape(outs[p][k]) == np.shape(outs[q][k])
                   and np.allclose(outs[p][k], outs[q][k], rtol=RTOL, atol=ATOL)
                   for k in fields)
        assert not same, (p, q)


@pytest.mark.parametrize("config", [c for c in CONFIGS if c.forget_gate], ids=_id)
def test_a_mistake_that_cannot_happen_is_not_accepted_as_expect(config):
    with pytest.raises(ValueError, match="expect: expected None or one of .*'forget_gate_in_c"):
        E.check_family_step_backward(reader("backward"), config=config,
                                     expect="forget_gate_in_carousel")
    if config.peephole != "full":
        with pytest.raises(ValueError, match="expect: expected None or one of"):
            E.check_family_step_backward(reader("backward"), config=config,
                                         expect="peephole_not_transposed")


# ------------------------------------------------------------ correct answers

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("config", CONFIGS, ids=_id)
@pytest.mark.parametrize("which", ["forward", "backward"])
def test_correct_reader_passes(which, config, seed, capsys):
    v = CHECKERS[which](reader(which), config=config, seed=seed)
    fields = FIELDS[which] if which == "forward" or config.peephole != "none" \
        else FIELDS[which][:5]
    assert (v.ok, v.diagnosis) == (True, "correct")
    assert " ".join(v.message.split()).startswith(
        f"✓ {NAMES[which]}: correct ({', '.join(fields)} match, max_rel_err=")
    assert capsys.readouterr().out == v.message + "\n"


@pytest.mark.parametrize("config", CONFIGS, ids=_id)
def test_checker_answer_is_lstm_refs_result_bit_for_bit(config):
    v = E.check_family_step_forward(lambda *a: lstm_ref.family_step_forward(*a), config=config)
    assert v.ok and v.message.endswith("max_rel_err=0.0e+00)"), v.message  # (h, c, cache)
    v = E.check_family_step_backward(lambda *a: lstm_ref.family_step_backward(*a), config=config)
    assert v.ok and v.message.endswith("max_rel_err=0.0e+00)"), v.message


@pytest.mark.parametrize("config", CONFIGS, ids=_id)
@pytest.mark.parametrize("B,D,H", [(1, 2, 3), (3, 4, 2), (2, 1, 1)])
def test_reader_oracles_match_lstm_ref_and_finite_differences(config, B, D, H):
    rng = np.random.default_rng(30)
    params = lstm_ref.init_family_params(config, D, H, rng, scale=0.8)
    x, h_prev, c_prev = (rng.standard_normal(s) for s in ((B, D), (B, H), (B, H)))
    dh, dc_next = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    h, c = reader_family_forward(x, h_prev, c_prev, params, config)
    h_ref, c_ref, cache = lstm_ref.family_step_forward(x, h_prev, c_prev, params, config)
    np.testing.assert_allclose(h, h_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c, c_ref, rtol=1e-12, atol=1e-14)
    g = reader_family_backward(dh, dc_next, cache)
    ref = lstm_ref.family_step_backward(dh, dc_next, cache)
    for k in FIELDS["backward"]:
        if ref.dp is None and k == "dp":
            assert g["dp"] is None
            continue
        np.testing.assert_allclose(g[k], getattr(ref, k), rtol=1e-10, atol=1e-12, err_msg=k)

    def J(x, h_prev, c_prev, W, b, p=None):
        h, c, _ = lstm_ref.family_step_forward(x, h_prev, c_prev,
                                               lstm_ref.FamilyParams(W, b, p), config)
        return np.sum(dh * h) + np.sum(dc_next * c)
    arrays = dict(x=x, h_prev=h_prev, c_prev=c_prev, W=params.W, b=params.b)
    grads = dict(x=g["dx"], h_prev=g["dh_prev"], c_prev=g["dc_prev"], W=g["dW"], b=g["db"])
    if params.p is not None:
        arrays["p"], grads["p"] = params.p, g["dp"]
    lstm_ref.gradcheck(J, {k: v.copy() for k, v in arrays.items()}, grads).assert_ok()


def test_the_oracle_test_can_fail():
    # the reader with the peephole paths dropped disagrees with finite differences
    config = lstm_ref.LSTMConfig(peephole="full")
    rng = np.random.default_rng(31)
    params = lstm_ref.init_family_params(config, 2, 3, rng, scale=0.8)
    x, h_prev, c_prev = (rng.standard_normal(s) for s in ((1, 2), (1, 3), (1, 3)))
    dh, dc_next = rng.standard_normal((1, 3)), rng.standard_normal((1, 3))
    _, _, cache = lstm_ref.family_step_forward(x, h_prev, c_prev, params, config)
    g = reader_family_backward(dh, dc_next, cache, bug="no_next_step_peephole_paths")

    def J(c_prev):
        h, c, _ = lstm_ref.family_step_forward(x, h_prev, c_prev, params, config)
        return np.sum(dh * h) + np.sum(dc_next * c)
    with pytest.raises(AssertionError):
        lstm_ref.gradcheck(J, {"c_prev": c_prev.copy()}, {"c_prev": g["dc_prev"]}).assert_ok()


# ------------------------------------------------------------ "your turn": not attempted

@pytest.mark.parametrize("config", CONFIGS, ids=_id)
def test_not_attempted_prints_one_line_and_does_not_raise(config, capsys):
    def my_forward(x, h_prev, c_prev, params, config):
        raise NotImplementedError

    def my_backward(dh, dc_next, cache):
        raise NotImplementedError
    for which, fn in (("forward", my_forward), ("backward", my_backward)):
        line = f"○ {NAMES[which]}: not attempted yet — fill in {fn.__name__} above and re-run"
        line += " this cell" * (len(line) + 10 <= 88)
        for expect in (None, "not_attempted"):
            v = CHECKERS[which](fn, config=config, expect=expect)
            assert (v.exercise, v.ok, v.diagnosis) == (NAMES[which], False, "not_attempted")
            assert v.message == line and len(line) <= 88
            assert capsys.readouterr().out == line + "\n"
        with pytest.raises(E.ExerciseFailed, match="got 'not_attempted'"):
            CHECKERS[which](fn, config=config, expect=expected_mistakes(which, config)[0])
        capsys.readouterr()


# ------------------------------------------------------------ output forms, wrong returns

def test_output_forms():
    full, none = lstm_ref.LSTMConfig(peephole="full"), lstm_ref.LSTMConfig()

    def as_tuple(dh, dc_next, cache):
        g = reader_family_backward(dh, dc_next, cache)
        return tuple(g[k] for k in FIELDS["backward"])
    assert E.check_family_step_backward(as_tuple, config=full).ok
    assert E.check_family_step_backward(as_tuple, config=none).ok  # (..., db, None)

    def five(dh, dc_next, cache):
        return as_tuple(dh, dc_next, cache)[:5]
    assert E.check_family_step_backward(five, config=none).ok  # dp left out: fine without p
    v = E.check_family_step_backward(five, config=full, expect="wrong_return")
    assert " ".join(v.message.split()) == (
        "✗ check_family_step_backward: wrong_return — got a tuple of 5 values; return "
        "(dx, dh_prev, dc_prev, dW, db, dp) as a tuple, NamedTuple or dict")
    v = E.check_family_step_forward(lambda *a: None, config=full, expect="wrong_return")
    assert "return the tuple (h, c)" in v.message
    # the forward step's extra items (its cache) are ignored, a list serves as the tuple
    assert E.check_family_step_forward(lambda *a: list(lstm_ref.family_step_forward(*a)),
                                       config=full).ok


def test_reader_cannot_change_the_checkers_inputs():
    config = lstm_ref.LSTMConfig(peephole="diagonal", forget_gate=False)

    def vandal(dh, dc_next, cache):
        out = reader_family_backward(dh, dc_next, cache)
        for a in (dh, dc_next, cache.z, cache.c_prev, *cache.params):
            a[...] = 0.0
        return out
    assert E.check_family_step_backward(vandal, config=config).ok
    assert E.check_family_step_backward(reader("backward", "sign"), config=config,
                                        expect="sign").ok is False


# ------------------------------------------------------------ transposed, shape, unknown

def _changed(which, field, change):
    def fn(*args):
        out = dict(_as_dict(which, READERS[which](*args)))
        out[field] = change(np.array(out[field], dtype=float))
        return out
    return fn


@pytest.mark.parametrize("config", CONFIGS, ids=_id)
def test_transposed_shape_and_unknown(config):
    fields = ["h", "dW"] + ["dp"] * (config.peephole == "full")
    for field in fields:
        which = "forward" if field == "h" else "backward"
        check = partial(CHECKERS[which], config=config)
        v = check(_changed(which, field, np.transpose), expect="transposed")
        assert f"{field} is transposed" in v.message
        v = check(_changed(which, field, lambda a: a[..., :-1]), expect="shape")
        assert f"{field} has the wrong shape" in v.message
        v = check(_changed(which, field, lambda a: a + 1.0), expect="unknown")
        assert f"{field} max_rel_err=" in " ".join(v.message.split())


@pytest.mark.parametrize("config,field,index,where", [
    # H = 3: rows 3:6 of dW are the input gate with a forget gate, the output gate without
    (lstm_ref.LSTMConfig(), "dW", (4, 5), "dW[4, 5] (gate block i, dW_i[1, 5])"),
    (lstm_ref.LSTMConfig(peephole="full"), "db", (10,), "db[10] (gate block g, db_g[1])"),
    (lstm_ref.LSTMConfig(forget_gate=False), "dW", (4, 5), "dW[4, 5]"),
    (lstm_ref.LSTMConfig(peephole="full"), "dp", (7, 2), "dp[7, 2]"),
    (lstm_ref.LSTMConfig(peephole="diagonal", forget_gate=False), "dc_prev", (1, 0),
     "dc_prev[1, 0]"),
], ids=str)
def test_unknown_names_the_first_difference(config, field, index, where):
    args = _checker_args("backward", config)
    want = reader_family_backward(*args)[field][index]

    def planted(*a):
        out = reader_family_backward(*a)
        out[field] = np.array(out[field])
        out[field][index] += 1.0
        return out
    v = E.check_family_step_backward(planted, config=config, expect="unknown")
    flat = " ".join(v.message.split())
    assert f"First difference: {where}: expected {want:.3g}, got {want + 1:.3g}." in flat, flat


# ------------------------------------------------------------ 88 columns, bad input

@pytest.mark.parametrize("config", CONFIGS, ids=_id)
def test_every_message_fits_in_88_columns(config, capsys):
    for which in ("forward", "backward"):
        fns = {bug: reader(which, bug) for bug in [None] + expected_mistakes(which, config)}
        fns["none"] = lambda *a: None
        for name, fn in fns.items():
            try:
                message = CHECKERS[which](fn, config=config).message
            except E.ExerciseFailed as err:
                message = str(err)
            printed = capsys.readouterr().out
            assert printed == message + "\n", name
            assert all(len(row) <= 88 for row in printed.splitlines()), (name, printed)


def test_bad_input():
    with pytest.raises(TypeError, match="config: expected LSTMConfig, got str"):
        E.check_family_step_backward(reader("backward"), config="full")
    with pytest.raises(TypeError, match="fn: expected a callable, got int"):
        E.check_family_step_forward(3, config=lstm_ref.LSTMConfig())
    with pytest.raises(TypeError, match="config"):
        E.check_family_step_forward(reader("forward"))  # config is required


def test_registered_defaults_and_config_override():
    full = lstm_ref.LSTMConfig(peephole="full")
    assert set(E.MISTAKES["family_step_backward"]) == set(expected_mistakes("backward", full))
    assert set(E.MISTAKES["family_step_forward"]) == set(expected_mistakes("forward", full))
    v = E.check_exercise("family_step_backward", reader("backward", "forget_gate_in_carousel"),
                         config=lstm_ref.LSTMConfig(forget_gate=False),
                         expect="forget_gate_in_carousel")
    assert v.diagnosis == "forget_gate_in_carousel"


def test_the_parameter_count_answers_are_the_sizes_of_the_arrays():
    # ex-family-count, counted independently: the sizes of the arrays init_family_params makes
    rng = np.random.default_rng(32)
    for D, H in ((32, 64), (3, 2), (1, 5)):
        right = E.ANSWERS["ex-family-count"][2](D, H)
        for name, config in (("n_a", lstm_ref.LSTMConfig(peephole="diagonal")),
                             ("n_b", lstm_ref.LSTMConfig(peephole="full", forget_gate=False))):
            params = lstm_ref.init_family_params(config, D, H, rng)
            assert sum(a.size for a in params) == right[name], (name, D, H)
