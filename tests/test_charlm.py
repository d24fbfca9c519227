"""The character-level language model (lstm_ref.experiments.charlm): baselines, BPTT(k, k)
windows with a carried state, held-out scoring, exact resumption, named errors, the CLI."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import lstm_ref
from lstm_ref.experiments import charlm, charlm_cli, cli
from lstm_ref.experiments.checkpoint import read_npz
from lstm_ref.experiments.text import TEXT_DIR
from lstm_ref.stack import init_stack_params, stack_final_state, stack_forward, stack_loss

CFG = lstm_ref.LSTMConfig()
TINY_TEXT = "the cat sat on the mat; a rat ate the hat. " * 6  # 258 chars, K = 16


@pytest.fixture
def tiny_text(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_TEXT, encoding="utf-8")
    return str(path)


# ----------------------------------------------------------------------------- the text


def test_load_text_splits_off_the_last_tenth_with_the_whole_texts_vocabulary(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("abababababababababXc", encoding="utf-8")  # 20 chars, 'X', 'c' held out
    text = charlm.load_text(str(path))
    assert text.vocab == "Xabc" and text.K == 4
    assert text.decode(text.train) == "abababababababababXc"[:18]
    assert text.decode(text.held_out) == "Xc"
    assert text.decode(text.encode("cab")) == "cab"


def test_the_shipped_text_is_the_course_prose_snapshot():
    path = TEXT_DIR / "course_prose.txt"
    size = path.stat().st_size
    assert 100_000 <= size <= 300_000, size
    text = charlm.load_text("course_prose")
    assert len(text.train) + len(text.held_out) == len(path.read_text(encoding="utf-8"))
    assert len(text.held_out) == int(0.1 * (len(text.train) + len(text.held_out)))
    assert "LSTM" in text.decode(text.train[:2000])


# ----------------------------------------------------------------------------- the baselines


def test_unigram_bits_by_hand():
    # train "ababa" over K = 3 (c unseen): p(a) = 4/8, p(b) = 3/8, p(c) = 1/8
    train, held = np.array([0, 1, 0, 1, 0]), np.array([1, 0, 2])
    by_hand = -(math.log2(3 / 8) + math.log2(4 / 8) + math.log2(1 / 8)) / 3
    assert charlm.unigram_bits(train, held, 3) == pytest.approx(by_hand, rel=1e-14)
    assert by_hand == pytest.approx((7 - math.log2(3)) / 3, rel=1e-14)


def test_bigram_bits_by_hand():
    # pairs of "ababa": ab, ba, ab, ba; p(a|b) = (2+1)/(2+3), p(c|a) = (0+1)/(2+3)
    train, held = np.array([0, 1, 0, 1, 0]), np.array([1, 0, 2])
    by_hand = -(math.log2(3 / 5) + math.log2(1 / 5)) / 2
    assert charlm.bigram_bits(train, held, 3) == pytest.approx(by_hand, rel=1e-14)


def test_the_bigram_baseline_beats_the_unigram_one_on_the_course_prose():
    text = charlm.load_text()
    uni = charlm.unigram_bits(text.train, text.held_out, text.K)
    bi = charlm.bigram_bits(text.train, text.held_out, text.K)
    assert bi < uni - 0.5 < math.log2(text.K)


# ----------------------------------------------------------------------------- BPTT(k, k)


def _model(sizes, K, seed):
    rng = np.random.default_rng(seed)
    params = init_stack_params(CFG, K, sizes, rng)
    return params, rng


@pytest.mark.parametrize("sizes, k, B", [((3,), 1, 1), ((4, 3), 5, 2), ((2, 5, 3), 3, 3)])
def test_a_windows_gradient_is_stack_loss_gradient_from_the_carried_state(sizes, k, B):
    K = 6
    params, rng = _model(sizes, K, 14)
    first = rng.integers(0, K, size=(k + 1, B))
    second = rng.integers(0, K, size=(k + 1, B))
    _, _, h, c = charlm.window_loss(first, params, None, None)  # the state to carry
    assert all(np.any(a != 0) for a in h + c)
    J, grads, _, _ = charlm.window_loss(second, params, h, c)
    J_ref, g = stack_loss(second, params, CFG, h0=h, c0=c)  # the oracle, summed over kB
    assert J == pytest.approx(J_ref / (k * B), rel=1e-12)
    ref = charlm.flatten_params(lstm_ref.StackParams(g.layers, g.W_y, g.b_y))
    assert grads.keys() == ref.keys()
    for name in ref:
        np.testing.assert_allclose(grads[name], ref[name] / (k * B), rtol=1e-10, atol=1e-14,
                                   err_msg=name)


def test_a_windows_gradient_against_finite_differences():
    params, rng = _model((3, 2), 5, 3)
    _, _, h, c = charlm.window_loss(rng.integers(0, 5, size=(4, 2)), params, None, None)
    window = rng.integers(0, 5, size=(4, 2))
    _, grads, _, _ = charlm.window_loss(window, params, h, c)
    flat = {k: v.copy() for k, v in charlm.flatten_params(params).items()}

    def J(**arrays):
        return charlm.window_loss(window, charlm.unflatten_params(arrays, 2), h, c)[0]

    lstm_ref.gradcheck(J, flat, grads).assert_ok()


@pytest.mark.parametrize("path", ["plain", "fused"])
@pytest.mark.parametrize("sizes, k, B", [((3,), 1, 1), ((4, 3), 4, 2)])
def test_carrying_the_state_continues_the_sequence(path, sizes, k, B):
    K = 7
    params, rng = _model(sizes, K, 5)
    seq = rng.integers(0, K, size=(2 * k + 1, B))
    whole, _ = stack_forward(seq[:-1], params, CFG, path=path)
    first, cache = stack_forward(seq[:k], params, CFG, path=path)
    h, c = stack_final_state(cache)
    second, _ = stack_forward(seq[k:2 * k], params, CFG, h0=h, c0=c, path=path)
    np.testing.assert_allclose(np.concatenate([first, second]), whole, rtol=1e-12, atol=1e-14)
    # the losses of two consecutive windows add up to the loss of the whole sequence
    J1, _, h1, c1 = charlm.window_loss(seq[:k + 1], params, None, None)
    J2, _, _, _ = charlm.window_loss(seq[k:], params, h1, c1)
    J_whole, _ = stack_loss(seq, params, CFG)
    assert (J1 + J2) * k * B == pytest.approx(J_whole, rel=1e-12)


def test_stack_final_state_is_the_family_loops_last_state():
    params, rng = _model((4, 3), 6, 8)
    symbols = rng.integers(0, 6, size=(5, 2))
    for path in ("plain", "fused"):
        _, cache = stack_forward(symbols, params, CFG, path=path)
        h_T, c_T = stack_final_state(cache)
        u = np.zeros((5, 2, 0))
        for n, layer in enumerate(params.layers):  # the oracle: the family loop per layer
            zeros = np.zeros((2, layer.cell.b.shape[0] // 4))
            h, c, _ = lstm_ref.family_forward(u, zeros, zeros, layer.cell, CFG,
                                              a_in=layer.W_x.T[symbols])
            np.testing.assert_allclose(h_T[n], h[-1], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(c_T[n], c[-1], rtol=1e-12, atol=1e-14)
            u = h
    with pytest.raises(TypeError, match="cache"):
        stack_final_state("not a cache")


def test_held_out_bits_is_the_mean_loss_in_bits_whatever_the_window():
    K = 6
    params, rng = _model((4, 3), K, 21)
    symbols = rng.integers(0, K, size=23)
    one_pass = stack_loss(symbols[:, None], params, CFG)[0] / (22 * math.log(2))
    assert charlm.held_out_bits(params, symbols, streams=1, window=100) == pytest.approx(
        one_pass, rel=1e-12)
    assert charlm.held_out_bits(params, symbols, streams=1, window=3) == pytest.approx(
        one_pass, rel=1e-12)
    # three streams: parts of n = 7 predictions, each from zero state
    parts = np.stack([symbols[s * 7: s * 7 + 8] for s in range(3)], axis=1)
    three = stack_loss(parts, params, CFG)[0] / (21 * math.log(2))
    assert charlm.held_out_bits(params, symbols, streams=3, window=2) == pytest.approx(
        three, rel=1e-12)


# ----------------------------------------------------------------------------- training


def _spec(text, **over):
    base = dict(seed=3, sizes=(5, 4), k=4, batch=3, lr=1e-2, clip=1.0, steps=7, eval_every=3,
                text=text)
    return charlm.CharSpec(**{**base, **over})


def test_training_lowers_the_loss_and_reports_everything(tiny_text):
    result = charlm.train_charlm(_spec(tiny_text, steps=40, eval_every=20, lr=3e-2))
    h = result.history
    assert len(h["train_bits"]) == 40 and h["eval_update"] == [0, 20, 40]
    assert h["held_out_bits"][-1] < h["held_out_bits"][0] - 0.5
    assert result.held_out_bits == h["held_out_bits"][-1]
    assert set(result.samples) == {"0.5", "1.0", "1.5"}
    assert all(len(s) == charlm.SAMPLE_CHARS + 1 and set(s) <= set(TINY_TEXT)
               for s in result.samples.values())
    summary = json.loads(json.dumps(result.summary()))
    assert summary["baselines"]["bigram"] < summary["baselines"]["unigram"]
    assert summary["chars_trained"] == 40 * 4 * 3


def test_resuming_gives_exactly_the_uninterrupted_run(tiny_text, tmp_path):
    spec = _spec(tiny_text)
    whole = charlm.train_charlm(spec, directory=tmp_path / "whole", checkpoint_every=2)
    run_dir = tmp_path / "parts"
    assert charlm.train_charlm(spec, directory=run_dir, stop_after_batches=2) is None
    assert charlm.train_charlm(spec, directory=run_dir, stop_after_batches=3) is None
    resumed = charlm.train_charlm(spec, directory=run_dir, checkpoint_every=2)
    assert resumed.history == whole.history and resumed.samples == whole.samples
    assert resumed.params.keys() == whole.params.keys()
    for name, a in whole.params.items():
        np.testing.assert_array_equal(resumed.params[name], a, err_msg=name)
    ckpt = read_npz(next((run_dir / "checkpoints").glob("ckpt-*.npz")))
    for name in ("positions", "state.h.0", "state.c.1", "adam.m.b_y", "params.layers.1.W"):
        assert name in ckpt
    with pytest.raises(ValueError, match="checkpoint: it belongs to another run"):
        charlm.train_charlm(_spec(tiny_text, lr=5e-3), directory=run_dir)


@pytest.mark.parametrize("field, value, error, words", [
    ("seed", -1, ValueError, "seed: expected an integer >= 0"),
    ("sizes", (4, 0), ValueError, "sizes: expected a non-empty tuple"),
    ("sizes", (), ValueError, "sizes: expected a non-empty tuple"),
    ("k", 0, ValueError, "k: expected a positive integer"),
    ("batch", 2.5, TypeError, "batch: expected a positive integer"),
    ("lr", -1e-3, ValueError, "lr: expected a positive"),
    ("clip", 0.0, ValueError, "clip: expected a positive"),
    ("steps", 0, ValueError, "steps: expected a positive integer"),
    ("eval_every", 0, ValueError, "eval_every: expected a positive integer"),
    ("text", 3, TypeError, "text: expected a text name"),
])
def test_bad_spec_values_get_named_errors(field, value, error, words):
    with pytest.raises(error, match=words):
        charlm.CharSpec(**{field: value})


def test_other_bad_inputs_get_named_errors(tmp_path):
    with pytest.raises(ValueError, match="text: expected one of"):
        charlm.load_text("no_such_text")
    with pytest.raises(ValueError, match=r"s: expected characters of the vocabulary"):
        charlm.load_text().encode("a\u20ac")  # no euro sign in the course's prose
    with pytest.raises(ValueError, match=r"held_out: expected symbols in \[0, 3\)"):
        charlm.unigram_bits(np.array([0, 1]), np.array([3]), 3)
    with pytest.raises(ValueError, match="train: expected a 1-D array of at least 2"):
        charlm.bigram_bits(np.array([0]), np.array([0, 1]), 3)
    with pytest.raises(TypeError, match="held_out"):
        charlm.unigram_bits(np.array([0, 1]), np.array([0.5]), 3)
    short = tmp_path / "short.txt"
    short.write_text("abcdefghij" * 3, encoding="utf-8")
    with pytest.raises(ValueError, match="text: expected a training split of at least"):
        charlm.train_charlm(charlm.CharSpec(text=str(short), k=10, batch=4))


# ----------------------------------------------------------------------------- command line


def test_the_cli_help_lists_the_charlm_options(capsys):
    with pytest.raises(SystemExit) as done:
        cli.parser().parse_args(["charlm", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for option in ("--seed", "--sizes", "--k", "--batch", "--lr", "--clip", "--steps",
                   "--eval-every", "--text", "--checkpoint-every", "--params-dtype", "--out"):
        assert option in out, option


def _cli_args(text, out):
    return ["charlm", "--text", text, "--sizes", "6,5", "--k", "5", "--batch", "4",
            "--steps", "200", "--eval-every", "100", "--checkpoint-every", "5",
            "--seed", "1", "--no-progress", "--out", str(out)]


def test_a_killed_run_resumes_to_the_uninterrupted_result(tiny_text, tmp_path):
    assert cli.main(_cli_args(tiny_text, tmp_path / "whole")) == 0
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "lstm_ref.experiments", *_cli_args(tiny_text, out)]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    latest = out / "checkpoints" / "latest.json"
    deadline = time.monotonic() + 60
    while not latest.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert not (out / "result.json").exists()
    step = json.loads(latest.read_text())["step"]
    assert 0 < step < 200
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    a = json.loads((tmp_path / "whole" / "result.json").read_text())
    b = json.loads((out / "result.json").read_text())
    for volatile in ("wall_time_s", "command", "machine"):
        a.pop(volatile), b.pop(volatile)
    assert a == b
    pa, pb = read_npz(tmp_path / "whole" / "params.npz"), read_npz(out / "params.npz")
    assert pa.keys() == pb.keys() and all(pa[k].dtype == np.float32 for k in pa)
    for name in pa:
        np.testing.assert_array_equal(pa[name], pb[name], err_msg=name)


def test_the_default_run_name_says_size_and_seed():
    args = cli.parser().parse_args(["charlm", "--sizes", "32,16", "--seed", "4"])
    assert charlm_cli.default_name(args) == "charlm-32x16-seed4"
    assert args.sizes == (32, 16)
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["charlm", "--sizes", "32,x"])


def test_the_committed_run_beats_the_bigram_baseline():
    path = Path(__file__).resolve().parent.parent / "book/data/experiments/charlm/seed0"
    result = json.loads((path / "result.json").read_text())
    assert result["held_out_bits"] < result["baselines"]["bigram"] - 0.5
    assert result["command"].startswith("python -m lstm_ref.experiments charlm")
    assert not (path / "checkpoints").exists()
