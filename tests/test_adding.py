"""The adding problem: the task as the paper defines it, the net's gradients, the
stopping criterion, and runs that resume exactly (in process and after a real kill)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lstm_ref.experiments import adding
from lstm_ref.experiments.adding import (
    CORRECT_BELOW,
    MODELS,
    STOP_WINDOW,
    AddingSpec,
    adding_batch,
    adding_test_set,
    default_spec,
    init_adding_params,
    net_backward,
    net_forward,
    paper_gradients,
    stopping_criterion,
    train_adding,
)
from lstm_ref.experiments.checkpoint import read_npz
from lstm_ref.gradcheck import numerical_gradient

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- the task


@pytest.mark.parametrize("T", [10, 11, 100, 500])
def test_batch_follows_the_papers_definition(T):
    rng = np.random.default_rng(T)
    for _ in range(30):
        x, y = adding_batch(rng, T, 7)
        L, B, two = x.shape
        assert (B, two) == (7, 2) and T <= L <= T + T // 10
        values, marks = x[:, :, 0], x[:, :, 1]
        assert np.all(np.abs(values) <= 1)
        assert np.all(np.isin(marks, (-1.0, 0.0, 1.0)))
        for b in range(B):
            marked = np.flatnonzero(marks[:, b] == 1)
            assert len(marked) == 2  # exactly two pairs marked
            first_ten = [k for k in marked if k < 10]
            assert first_ten, "one mark among the first ten pairs"
            assert marked.max() < max(T // 2, 10), "the other among the first T/2 - 1"
            for end in (0, L - 1):  # the first and the last pair: -1 unless marked
                assert marks[end, b] in ((1.0,) if end in marked else (-1.0,))
            assert np.all(marks[1:L - 1, b][~np.isin(np.arange(1, L - 1), marked)] == 0)
            # the target, recomputed from the pairs themselves
            assert y[b] == pytest.approx(0.5 + values[marked, b].sum() / 4, abs=1e-15)


def test_first_pair_marked_has_value_zero():
    rng = np.random.default_rng(3)
    seen = 0
    for _ in range(200):
        x, y = adding_batch(rng, 40, 16)
        marks = x[:, :, 1] == 1.0
        # pair 1 marked while the other mark lies beyond the first ten: pair 1 is X_1
        other_late = marks[10:].any(axis=0)
        hit = marks[0] & other_late
        seen += hit.sum()
        assert np.all(x[0, hit, 0] == 0.0)
    assert seen > 0  # the rare case did occur


def test_marks_cover_their_ranges():
    rng = np.random.default_rng(4)
    T, firsts, others = 40, set(), set()
    for _ in range(400):
        x, _ = adding_batch(rng, T, 8)
        for b in range(8):
            m = np.flatnonzero(x[:, b, 1] == 1)
            firsts.add(int(m[0]))
            others.add(int(m[1]))
    assert set(range(10)) <= firsts | others
    assert max(others) == T // 2 - 1  # the last place of the first T/2 - 1 unmarked pairs


def test_test_set_is_fixed_and_complete():
    a, b = adding_test_set(100), adding_test_set(100)
    assert sum(len(y) for _, y in a) == 2560
    for (xa, ya), (xb, yb) in zip(a, b):
        assert np.array_equal(xa, xb) and np.array_equal(ya, yb)
    assert [len(x) for x, _ in a] == sorted({len(x) for x, _ in a})


# ----------------------------------------------------------------------------- the net


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("B", [1, 3])
def test_net_gradients_match_finite_differences(model, B):
    spec = default_spec(model, 10, 0, H=3, **({"block": 1} if model == "lstm1997" else {}))
    rng = np.random.default_rng(11)
    params = init_adding_params(spec, rng)
    x, y = adding_batch(rng, 10, B)

    def loss():
        y_hat, _ = net_forward(params, x, model)
        return 0.5 * np.mean((y_hat - y) ** 2)

    y_hat, cache = net_forward(params, x, model)
    grads = net_backward((y_hat - y) / B, cache)  # dJ/dy_hat of J = mean(e^2)/2
    differences = numerical_gradient(lambda **_: loss(), params)  # perturbs params in place
    for name, numeric in differences.items():
        scale = max(np.abs(numeric).max(), 1e-12)
        assert np.abs(grads[name] - numeric).max() / scale < 1e-6, name


def test_1997_net_has_no_forget_gate_and_shut_input_gates():
    spec = default_spec("lstm1997", 10, 0)
    p = init_adding_params(spec, np.random.default_rng(0))
    assert p["W"].shape == (3 * 4, 4 + 2)  # gates i, o, g
    assert np.array_equal(p["b"][:4], [-3.0, -3.0, -6.0, -6.0])  # b_i, two blocks
    assert np.all(np.abs(p["W"]) <= 0.1)


def _sig(a):
    return 1 / (1 + np.exp(-a))


def _paper_net(P, x, H, block):
    """The paper's net written out on its own: shared gates, g = 4 sigma - 2, h = 2 sigma - 1."""
    n = H // block
    h = np.zeros(H)
    c = np.zeros(H)
    for x_t in x[:, 0]:
        z = np.concatenate([h, x_t])
        i = np.repeat(_sig(P["W_i"] @ z + P["b_i"]), block)  # one input gate per block
        o = np.repeat(_sig(P["W_o"] @ z + P["b_o"]), block)  # one output gate per block
        c = c + i * (4 * _sig(P["W_g"] @ z + P["b_g"]) - 2)
        h = o * (2 * _sig(c) - 1)
        assert P["W_i"].shape == (n, H + 2)
    return _sig(P["W_v"] @ h + P["b_v"])[0]


def _sgd_step_by_differences(P, loss, lr):
    """One SGD step on the paper's parameters P, the gradient of loss() by central differences."""
    g = numerical_gradient(lambda **_: loss(), P)  # perturbs the arrays of P in place
    return {name: p - lr * g[name] for name, p in P.items()}


def _as_cell_params(P, block):
    """The paper's parameters in the tanh cell's variables (rows i, o, g of W and b)."""
    W = np.concatenate([np.repeat(P["W_i"], block, axis=0), np.repeat(P["W_o"], block, axis=0),
                        P["W_g"] / 2])
    b = np.concatenate([np.repeat(P["b_i"], block), np.repeat(P["b_o"], block), P["b_g"] / 2])
    return {"W": W, "b": b, "W_v": P["W_v"][None, :], "b_v": P["b_v"]}


def test_paper_squashing_and_shared_gates_are_a_change_of_variables():
    # Oracle: the paper's net written out above, and its gradient by finite differences.
    H, block, lr = 4, 2, 0.5
    spec = default_spec("lstm1997", 10, 0, H=H, block=block, gradient="full")
    rng = np.random.default_rng(5)
    P = {"W_i": rng.uniform(-1, 1, (2, H + 2)), "b_i": rng.uniform(-1, 1, 2),
         "W_o": rng.uniform(-1, 1, (2, H + 2)), "b_o": rng.uniform(-1, 1, 2),
         "W_g": rng.uniform(-1, 1, (H, H + 2)), "b_g": rng.uniform(-1, 1, H),
         "W_v": rng.uniform(-1, 1, H), "b_v": rng.uniform(-1, 1, 1)}
    x, y = adding_batch(rng, 10, 1)
    params = _as_cell_params(P, block)
    y_hat, cache = net_forward(params, x, "lstm1997")
    assert y_hat[0] == pytest.approx(_paper_net(P, x, H, block), abs=1e-14)  # the same net

    step = _sgd_step_by_differences(P, lambda: 0.5 * (_paper_net(P, x, H, block) - y[0]) ** 2,
                                    lr)
    grads = paper_gradients(net_backward(y_hat - y, cache), spec)
    moved = {k: params[k] - lr * grads[k] for k in params}  # the same step, in cell variables
    for k, expected in _as_cell_params(step, block).items():
        assert np.abs(moved[k] - expected).max() < 1e-8, k


def _paper_net_fed_back(P, x, H, block, frozen=None):
    """The paper's fully connected hidden layer written out: every unit sees the inputs, the
    cells' outputs and the gate units' activations of step t-1. With ``frozen``, the (h, q)
    each step saw in a run, those are constants and only the carousel c is recomputed: the
    net whose exact gradient is the paper's truncated one."""
    n = H // block
    h, c, q = np.zeros(H), np.zeros(H), np.zeros(2 * n)
    seen = []
    for t, x_t in enumerate(x[:, 0]):
        if frozen is not None:
            h, q = frozen[t]
        seen.append((h, q))
        z = np.concatenate([h, x_t, q])
        i = _sig(P["W_i"] @ z + P["b_i"])  # one input gate per block
        o = _sig(P["W_o"] @ z + P["b_o"])  # one output gate per block
        c = c + np.repeat(i, block) * (4 * _sig(P["W_g"] @ z + P["b_g"]) - 2)
        h = np.repeat(o, block) * (2 * _sig(c) - 1)
        q = np.concatenate([i, o])  # the gate units step t+1 sees
    return _sig(P["W_v"] @ h + P["b_v"])[0], seen


@pytest.mark.parametrize("H, block", [(4, 2), (3, 1)])
def test_fed_back_gate_units_give_the_papers_truncated_gradient(H, block):
    # Oracle: the paper's net with its gate units fed back, written out above; the
    # truncated gradient is the exact gradient of that net with the recurrent inputs
    # (h_{t-1} and the gate units of t-1) held at their values, by finite differences.
    lr, n = 0.5, H // block
    spec = default_spec("lstm1997", 10, 0, H=H, block=block, recurrent="all")
    rng = np.random.default_rng(7)
    cols = H + 2 + 2 * n  # h_{t-1}, x_t, the gate units of t-1
    P = {"W_i": rng.uniform(-1, 1, (n, cols)), "b_i": rng.uniform(-1, 1, n),
         "W_o": rng.uniform(-1, 1, (n, cols)), "b_o": rng.uniform(-1, 1, n),
         "W_g": rng.uniform(-1, 1, (H, cols)), "b_g": rng.uniform(-1, 1, H),
         "W_v": rng.uniform(-1, 1, H), "b_v": rng.uniform(-1, 1, 1)}
    x, y = adding_batch(rng, 10, 1)
    params = _as_cell_params(P, block)
    assert params["W"].shape == init_adding_params(spec, rng)["W"].shape
    y_hat, cache = net_forward(params, x, spec)
    expected, seen = _paper_net_fed_back(P, x, H, block)
    assert y_hat[0] == pytest.approx(expected, abs=1e-14)  # the same net
    cells_only, _ = net_forward(_without_gate_inputs(params, n), x, "lstm1997")
    assert y_hat[0] != pytest.approx(cells_only[0])  # the gate units did change the output

    step = _sgd_step_by_differences(  # the recurrent inputs frozen at what the run saw
        P, lambda: 0.5 * (_paper_net_fed_back(P, x, H, block, seen)[0] - y[0]) ** 2, lr)
    grads = paper_gradients(net_backward(y_hat - y, cache, truncate=True), spec)
    moved = {k: params[k] - lr * grads[k] for k in params}  # the same step, in cell variables
    for k, expected in _as_cell_params(step, block).items():
        assert np.abs(moved[k] - expected).max() < 1e-8, k


def _without_gate_inputs(params, n):
    """The same parameters without the columns that read the gate units."""
    return {**params, "W": params["W"][:, :-2 * n]}


def test_fed_back_gate_units_need_the_truncated_gradient():
    with pytest.raises(ValueError, match=r"recurrent: 'all' feeds the gates' activations back "
                                         r".*expected gradient='truncated', got gradient='full'"):
        default_spec("lstm1997", 10, 0, recurrent="all", gradient="full")
    with pytest.raises(ValueError, match=r"recurrent: unknown option 'gates'"):
        default_spec("lstm1997", 10, 0, recurrent="gates")
    spec = default_spec("lstm1997", 10, 0, recurrent="all")
    x, y = adding_batch(np.random.default_rng(0), 10, 2)
    y_hat, cache = net_forward(init_adding_params(spec, np.random.default_rng(0)), x, spec)
    with pytest.raises(ValueError, match=r"truncate: the gate units of t-1 were inputs held "
                                         r"constant .* expected True, got False"):
        net_backward(y_hat - y, cache)


def test_fed_back_net_starts_and_stays_shared_and_scores_like_its_steps():
    spec = default_spec("lstm1997", 10, 1, max_sequences=50, recurrent="all")
    p0 = init_adding_params(spec, np.random.default_rng(1))
    assert p0["W"].shape == (3 * 4, 4 + 2 + 4)  # h_{t-1}, x_t, 2 input and 2 output gates
    assert np.all(np.abs(p0["W"][:8]) <= 0.1) and np.all(np.abs(p0["W"][8:]) <= 0.05)
    params = train_adding(spec).params
    for k in range(4):  # blocks of the i, o rows: they stay one gate per block
        assert np.all(params["W"][2 * k:2 * k + 2] == params["W"][2 * k])
    test_set = adding_test_set(10)
    one_by_one = [np.abs(net_forward(params, x[:, [j]], spec)[0][0] - y[j])
                  for x, y in test_set for j in range(len(y))]
    np.testing.assert_allclose(adding.test_errors(params, spec, test_set), one_by_one,
                               rtol=0, atol=1e-14)  # one batch of every length


def test_shared_gates_start_and_stay_shared():
    spec = default_spec("lstm1997", 10, 1, max_sequences=50)
    assert (spec.block, spec.squash, spec.gradient) == (2, "scaled", "truncated")
    for params in (init_adding_params(spec, np.random.default_rng(1)),
                   train_adding(spec).params):
        for k in range(4):  # blocks of b_i, b_o (rows 0-3, 4-7): cells 0, 1 and 2, 3
            rows = slice(2 * k, 2 * k + 2)
            assert np.all(params["W"][rows] == params["W"][2 * k])
            assert np.all(params["b"][rows] == params["b"][2 * k])
        assert not np.array_equal(params["W"][8], params["W"][9])  # g rows: one per cell


def test_paper_gradients_leave_the_defaults_alone():
    spec = default_spec("lstm", 10, 0)
    grads = {"W": np.ones((16, 10)), "b": np.ones(16), "W_v": np.ones((1, 4)), "b_v": np.ones(1)}
    assert paper_gradients(grads, spec) is grads


# ----------------------------------------------------------------------------- criterion


def test_stopping_criterion():
    ok = np.full(STOP_WINDOW, 0.039)
    assert stopping_criterion(ok)
    one_wrong = ok.copy()
    one_wrong[17] = -CORRECT_BELOW
    assert not stopping_criterion(one_wrong)
    not_yet = ok.copy()
    not_yet[:5] = np.inf  # fewer than 2,000 sequences seen
    assert not stopping_criterion(not_yet)
    with pytest.raises(ValueError, match=r"recent: expected shape \(2000,\), got \(3,\)"):
        stopping_criterion([0.0, 0.0, 0.0])


@pytest.mark.parametrize("field, value, message", [
    ("model", "gru", r"model"),
    ("T", 9, r"T: expected an integer >= 10 \(one of the first ten pairs is marked\), got 9"),
    ("batch", 0, r"batch"),
    ("lr", -0.1, r"lr"),
    ("optimizer", "lbfgs", r"optimizer"),
    ("seed", -1, r"seed: expected an integer >= 0, got -1"),
    ("gradient", "tbptt", r"gradient"),
    ("squash", "relu", r"squash"),
    ("block", 3, r"block: expected a divisor of H = 4, got 3"),
    ("squash", "scaled", r"squash: 'scaled' is the 1997 LSTM's, trained by SGD without "
                         r"clipping; got model='lstm'"),
])
def test_spec_rejects_bad_values(field, value, message):
    fields = {"model": "lstm", "T": 10, "seed": 0, field: value}
    with pytest.raises((ValueError, TypeError), match=message):
        AddingSpec(**fields)


def test_rnn_has_no_truncated_gradient_or_blocks():
    with pytest.raises(ValueError, match=r"gradient, block: the RNN has no carousel"):
        AddingSpec(model="rnn", T=10, seed=0, gradient="truncated")


def test_modern_lstm_learns_a_short_adding_problem():
    spec = default_spec("lstm", 10, 0, input_bias=(0.0,), max_sequences=8000)
    before = adding.test_errors(init_adding_params(spec, np.random.default_rng(0)), "lstm",
                                adding_test_set(10))
    result = train_adding(spec)
    assert result.solved_at is None and result.sequences == 8000  # the budget, spent
    assert result.test_mse < 0.1 * np.mean(before ** 2)
    assert result.test_wrong < 0.5 * np.sum(before >= CORRECT_BELOW)


# ----------------------------------------------------------------------------- resuming


def _small(**kw):
    return default_spec("lstm", 10, 3, input_bias=(0.0,), max_sequences=4000, **kw)


def _same(a, b):
    assert a.solved_at == b.solved_at and a.sequences == b.sequences
    assert a.test_wrong == b.test_wrong and a.test_mse == b.test_mse
    for k in a.history:
        assert np.array_equal(a.history[k], b.history[k]), k
    for k in a.params:
        assert np.array_equal(a.params[k], b.params[k]), k


def test_resume_in_process_equals_an_uninterrupted_run(tmp_path):
    whole = train_adding(_small(), log_every=200)
    assert train_adding(_small(), directory=tmp_path, checkpoint_every=7, log_every=200,
                        stop_after_batches=101) is None
    assert (tmp_path / "checkpoints" / "latest.json").exists()
    resumed = train_adding(_small(), directory=tmp_path, checkpoint_every=7, log_every=200)
    _same(whole, resumed)


def test_checkpoint_of_another_run_is_refused(tmp_path):
    train_adding(_small(), directory=tmp_path, stop_after_batches=3)
    other = default_spec("lstm", 10, 4, input_bias=(0.0,), max_sequences=4000)
    with pytest.raises(ValueError, match=r"checkpoint: it belongs to another run"):
        train_adding(other, directory=tmp_path)


def _cli(out, *extra):
    return [sys.executable, "-m", "lstm_ref.experiments", "adding", "--model", "lstm",
            "--T", "10", "--seed", "5", "--max-sequences", "20000", "--checkpoint-every", "5",
            "--no-progress", "--out", str(out), *extra]


def test_a_killed_run_resumes_to_the_same_result(tmp_path):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    subprocess.run(_cli(tmp_path / "whole"), check=True, env=env, capture_output=True)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_cli(killed), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    pointer = killed / "checkpoints" / "latest.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if pointer.exists() and json.loads(pointer.read_text())["step"] >= 40:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)  # no clean-up: as if the machine went down
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it was killed"
    assert not (killed / "result.json").exists()
    subprocess.run(_cli(killed), check=True, env=env, capture_output=True)
    a = json.loads((tmp_path / "whole" / "result.json").read_text())
    b = json.loads((killed / "result.json").read_text())
    for key in ("solved_at", "sequences", "test_wrong", "test_mse", "history", "spec"):
        assert a[key] == b[key], key
    pa, pb = read_npz(tmp_path / "whole" / "params.npz"), read_npz(killed / "params.npz")
    assert pa.keys() == pb.keys()
    for k in pa:
        assert np.array_equal(pa[k], pb[k]), k
    assert "--seed 5" in b["command"] and b["wall_time_s"] > 0


# ----------------------------------------------------------------------------- committed runs

RESULTS = sorted((ROOT / "book" / "data" / "experiments" / "adding").glob("*/result.json"))


def test_full_runs_are_committed_for_every_net_and_both_lengths():
    specs = [json.loads(p.read_text())["spec"] for p in RESULTS]
    have = {(s["model"], s["T"], s.get("gradient", "full")) for s in specs}
    for T in adding.PAPER:
        for model in ("lstm", "rnn"):
            assert (model, T, "full") in have, (model, T)
        assert ("lstm1997", T, "truncated") in have, T  # the paper's 1997 net


@pytest.mark.parametrize("path", RESULTS, ids=lambda p: p.parent.name)
def test_committed_result_is_what_its_command_and_params_say(path):
    from lstm_ref.experiments import adding_cli, cli

    r = json.loads(path.read_text())
    spec = AddingSpec(**{**r["spec"], "input_bias": tuple(r["spec"]["input_bias"])})
    words = r["command"].split()
    assert words[:3] == ["python", "-m", "lstm_ref.experiments"]
    args = cli.parser().parse_args(words[3:])
    assert adding_cli._spec(args) == spec  # the recorded command makes exactly this run
    assert Path(args.out).name == path.parent.name
    assert r["sequences"] <= spec.max_sequences and r["test_size"] == 2560
    if r["solved_at"] is not None:
        assert r["solved_at"] == r["sequences"] == r["history"]["sequences"][-1]
    else:
        assert r["sequences"] >= spec.max_sequences
    assert r["wall_time_s"] > 0 and r["machine"]["cpus"] >= 1
    params = read_npz(path.parent / "params.npz")
    errors = adding.test_errors(params, spec, adding_test_set(spec.T))
    assert int(np.sum(errors >= CORRECT_BELOW)) == r["test_wrong"]
    assert np.mean(errors ** 2) == pytest.approx(r["test_mse"], rel=1e-9)

