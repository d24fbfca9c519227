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
    stopping_criterion,
    train_adding,
)
from lstm_ref.experiments.checkpoint import read_npz

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
    spec = default_spec(model, 10, 0, H=3)
    rng = np.random.default_rng(11)
    params = init_adding_params(spec, rng)
    x, y = adding_batch(rng, 10, B)

    def loss():
        y_hat, _ = net_forward(params, x, model)
        return 0.5 * np.mean((y_hat - y) ** 2)

    y_hat, cache = net_forward(params, x, model)
    grads = net_backward((y_hat - y) / B, cache)  # dJ/dy_hat of J = mean(e^2)/2
    for name, p in params.items():
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + 1e-6
            up = loss()
            p[idx] = old - 1e-6
            down = loss()
            p[idx] = old
            numeric[idx] = (up - down) / 2e-6
        scale = max(np.abs(numeric).max(), 1e-12)
        assert np.abs(grads[name] - numeric).max() / scale < 1e-6, name


def test_1997_net_has_no_forget_gate_and_shut_input_gates():
    spec = default_spec("lstm1997", 10, 0)
    p = init_adding_params(spec, np.random.default_rng(0))
    assert p["W"].shape == (3 * 4, 4 + 2)  # gates i, o, g
    assert np.array_equal(p["b"][:4], [-3.0, -3.0, -6.0, -6.0])  # b_i, two blocks
    assert np.all(np.abs(p["W"]) <= 0.1)


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
])
def test_spec_rejects_bad_values(field, value, message):
    fields = {"model": "lstm", "T": 10, "seed": 0, field: value}
    with pytest.raises((ValueError, TypeError), match=message):
        AddingSpec(**fields)


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
    have = {(json.loads(p.read_text())["spec"]["model"], json.loads(p.read_text())["spec"]["T"])
            for p in RESULTS}
    for T in adding.PAPER:
        for model in ("lstm", "rnn"):
            assert (model, T) in have, (model, T)
    assert ("lstm1997", 100) in have


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
    errors = adding.test_errors(params, spec.model, adding_test_set(spec.T))
    assert int(np.sum(errors >= CORRECT_BELOW)) == r["test_wrong"]
    assert np.mean(errors ** 2) == pytest.approx(r["test_mse"], rel=1e-9)

