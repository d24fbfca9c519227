"""The benchmarks' verdicts follow the decided targets, on the decided statistic.

Both benchmarks judge their targets on the median over rounds of the per-round
ratio (two implementations timed back to back in every round). Here the pure
ratio and target logic of `benchmarks/bench_lstm.py` and `benchmarks/bench_torch.py`
runs on fake timings, chosen so that the per-round median and the ratio of the
two medians fall on opposite sides of a bound; bench_torch's decomposition of
its ratio into the BLAS ratio (lstm_ref's products, NumPy against torch.mm) and
the rest is checked the same way. No timing and no torch here.
"""
from __future__ import annotations

import importlib.util
import pathlib
import statistics
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)   # bench_torch finds bench_lstm next to itself
    return module


bench = _load("bench_lstm")
bench_torch = _load("bench_torch")

# Per-round times of two sides where the rounds' ratios are 1, 1, 2 (median 1) while
# the medians of the two sides are 2 and 1 (ratio 2): a slow round on one side only.
SLOW_A = [1.0, 2.0, 4.0]      # side a's times in rounds 1..3
SLOW_B = [1.0, 2.0, 1.0]      # side b's times in rounds 1..3


def _bench_samples(overhead_rounds, speedup=2.0):
    """Fake bench_lstm samples: lstm_ref / floor per round as given, naive = speedup * lstm_ref."""
    n = len(overhead_rounds)
    floor = [1.0] * n
    ref = list(overhead_rounds)
    return {"naive": [speedup * r for r in ref], "lstm_ref": ref, "lstm_ref_fresh": ref,
            "floor": floor, "exp": [0.1] * n}


def _bench_verdict(cfg, dtype, samples, metric="overhead"):
    row = bench.summarize(*cfg, dtype, samples)
    [v] = [v for v in bench.check_targets([row]) if v["metric"] == metric]
    return row, v


def test_bench_lstm_judges_the_overhead_on_the_median_of_per_round_ratios():
    samples = _bench_samples(SLOW_A)
    samples["floor"] = list(SLOW_B)
    row, v = _bench_verdict((64, 50, 256, 256), "float64", samples)
    assert row["overhead"] == 2.0 and row["overhead_paired"] == 1.0
    assert v["value"] == 1.0 and v["pass"]
    assert v["statistic"] == "median over rounds of the per-round ratio"


@pytest.mark.parametrize("cfg, bound", [((64, 50, 256, 256), 1.5), ((128, 35, 512, 512), 1.4)],
                         ids=["B64_H256", "B128_H512"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bench_lstm_overhead_bounds(cfg, bound, dtype):
    for value, ok in ((bound - 0.01, True), (bound, True), (bound + 0.01, False)):
        _, v = _bench_verdict(cfg, dtype, _bench_samples([0.5, value, 9.0]))
        assert v["threshold"] == bound and v["op"] == "<="
        assert v["value"] == pytest.approx(value) and v["pass"] is ok, (value, v)


def test_bench_lstm_has_overhead_targets_only_at_the_two_largest_sizes():
    rows = [bench.summarize(*cfg, "float64", _bench_samples([9.0])) for cfg in bench.CONFIGS]
    verdicts = bench.check_targets(rows)
    overhead = {(v["B"], v["T"], v["D"], v["H"]) for v in verdicts if v["metric"] == "overhead"}
    assert overhead == {(64, 50, 256, 256), (128, 35, 512, 512)}
    assert not any(v["pass"] for v in verdicts if v["metric"] == "overhead")


@pytest.mark.parametrize("cfg, bound", [((1, 100, 64, 64), 3.5), ((32, 100, 128, 128), 1.2),
                                        ((64, 50, 256, 256), 1.2), ((128, 35, 512, 512), 1.2)],
                         ids=["B1", "B32", "B64", "B128"])
def test_bench_lstm_speedup_targets_are_unchanged_and_paired(cfg, bound):
    for speedup, ok in ((bound - 0.01, False), (bound, True)):
        _, v = _bench_verdict(cfg, "float32", _bench_samples([1.0, 1.0, 1.0], speedup), "speedup")
        assert v["threshold"] == bound and v["op"] == ">="
        assert v["value"] == pytest.approx(speedup) and v["pass"] is ok
    # a slow naive round alone moves the ratio of the medians but not the paired figure
    samples = _bench_samples([1.0, 1.0, 1.0])
    samples["naive"] = [(bound - 0.01) * t for t in SLOW_A]
    samples["lstm_ref"] = list(SLOW_B)
    row, v = _bench_verdict(cfg, "float32", samples, "speedup")
    assert row["speedup"] > bound and v["value"] == pytest.approx(bound - 0.01)
    assert not v["pass"]


def _torch_row(cfg, dtype, ref, tor, numpy_gemm=None, torch_gemm=None):
    """A bench_torch row; the GEMM replays default to 1 s each (gemm_ratio 1)."""
    samples = {"lstm_ref": ref, "torch": tor,
               "numpy_gemm": [1.0] * len(ref) if numpy_gemm is None else numpy_gemm,
               "torch_gemm": [1.0] * len(ref) if torch_gemm is None else torch_gemm}
    return bench_torch.summarize(*cfg, dtype, samples, dict.fromkeys(samples, 1))


def test_torch_ratio_is_the_median_of_per_round_ratios():
    row = _torch_row((1, 100, 64, 64), "float64", SLOW_A, SLOW_B)
    assert row["round_ratios"] == [1.0, 1.0, 4.0]
    assert row["ratio_paired"] == 1.0 and row["ratio_of_medians"] == 2.0
    [v] = bench_torch.check_targets([row])
    assert v["value"] == 1.0 and v["pass"] and v["threshold"] == 1.0


def test_torch_targets_where_and_how_much():
    # float64: <= 1.0 at all four sizes; float32: <= 1.2 at the two large sizes only
    rows = [_torch_row(cfg, dtype, [ratio], [1.0])
            for cfg in bench.CONFIGS for dtype, ratio in (("float32", 1.21), ("float64", 1.01))]
    verdicts = bench_torch.check_targets(rows)
    where = {(v["B"], v["dtype"]): v["threshold"] for v in verdicts}
    assert where == {(1, "float64"): 1.0, (32, "float64"): 1.0, (64, "float64"): 1.0,
                     (128, "float64"): 1.0, (64, "float32"): 1.2, (128, "float32"): 1.2}
    assert not any(v["pass"] for v in verdicts)          # every value is just above its bound
    assert [r["target"] for r in rows if r["dtype"] == "float32"] == [None, None, 1.2, 1.2]
    at_bound = [_torch_row(cfg, "float32", [1.2], [1.0]) for cfg in bench.CONFIGS[2:]]
    assert all(v["pass"] for v in bench_torch.check_targets(at_bound))


def test_torch_summary_needs_paired_rounds():
    with pytest.raises(ValueError, match="same number"):
        _torch_row((1, 100, 64, 64), "float64", [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="same number"):   # a GEMM replay one round short
        _torch_row((1, 100, 64, 64), "float64", [1.0, 2.0], [1.0, 1.0], torch_gemm=[1.0])
    with pytest.raises(ValueError, match="same number"):
        _torch_row((1, 100, 64, 64), "float64", [], [])


def test_torch_summary_needs_all_four_sides():
    samples = {"lstm_ref": [1.0], "torch": [1.0], "numpy_gemm": [1.0]}
    with pytest.raises(ValueError, match=r"missing \['torch_gemm'\]"):
        bench_torch.summarize(1, 100, 64, 64, "float64", samples, {})


# Three rounds (times in seconds) of lstm_ref, torch, numpy_gemm, torch_gemm where
#   ratio = lstm_ref / torch        = 2, 3, 4    (median 3)
#   gemm  = numpy_gemm / torch_gemm = 1, 0.5, 2  (median 1)
#   rest  = ratio / gemm            = 2, 6, 2    (median 2, not 3 / 1)
#   lstm_ref / numpy_gemm           = 2, 3, 4    (median 3)
#   torch / torch_gemm              = 1, 2, 0.5  (median 1)
FOUR = {"lstm_ref": [2.0, 3.0, 4.0], "torch": [1.0, 1.0, 1.0],
        "numpy_gemm": [1.0, 1.0, 1.0], "torch_gemm": [1.0, 2.0, 0.5]}


def _four_row(cfg=(64, 50, 256, 256), dtype="float64", samples=FOUR):
    return bench_torch.summarize(*cfg, dtype, samples, dict.fromkeys(samples, 1))


def test_torch_gemm_and_rest_ratios_are_medians_of_per_round_ratios():
    row = _four_row()
    assert row["round_ratios"] == [2.0, 3.0, 4.0]
    assert row["round_gemm_ratios"] == [1.0, 0.5, 2.0]
    assert row["round_rest_ratios"] == [2.0, 6.0, 2.0]
    assert row["ratio_paired"] == 3.0
    assert row["gemm_ratio_paired"] == 1.0
    # rest is the median of the per-round quotients, not ratio_paired / gemm_ratio_paired
    assert row["rest_ratio_paired"] == 2.0 != row["ratio_paired"] / row["gemm_ratio_paired"]
    assert row["lstm_ref_over_gemm_paired"] == 3.0
    assert row["torch_over_gemm_paired"] == 1.0
    assert row["time_s"] == {"lstm_ref": 3.0, "torch": 1.0, "numpy_gemm": 1.0,
                             "torch_gemm": 1.0}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_torch_rest_ratio_is_each_sides_time_over_its_own_products(seed):
    # per round: ratio = gemm * rest, and rest = (lstm_ref / numpy_gemm) / (torch / torch_gemm)
    rng = np.random.default_rng(seed)
    samples = {side: list(rng.uniform(0.01, 1.0, 7)) for side in bench_torch.SIDES}
    row = _four_row(samples=samples)
    for k, (ratio, gemm, rest) in enumerate(zip(row["round_ratios"], row["round_gemm_ratios"],
                                                row["round_rest_ratios"], strict=True)):
        r, t, n, m = (samples[side][k] for side in bench_torch.SIDES)
        assert ratio == pytest.approx(r / t, rel=1e-14)
        assert gemm == pytest.approx(n / m, rel=1e-14)
        assert ratio == pytest.approx(gemm * rest, rel=1e-14)
        assert rest == pytest.approx((r / n) / (t / m), rel=1e-14)
    assert row["rest_ratio_paired"] == statistics.median(row["round_rest_ratios"])


def test_torch_targets_are_judged_on_the_ratio_alone():
    # the same lstm_ref / torch with any GEMM timings gives the same verdict and value
    cfg = (128, 35, 512, 512)
    verdicts = []
    for ng, tg in (([1.0, 1.0, 1.0], [1.0, 1.0, 1.0]), ([2.0, 2.0, 2.0], [1.0, 1.0, 1.0]),
                   ([0.1, 5.0, 1.0], [3.0, 0.2, 1.0])):
        row = _torch_row(cfg, "float64", [1.0, 1.1, 0.9], [1.0, 1.0, 1.0], ng, tg)
        [v] = bench_torch.check_targets([row])
        verdicts.append((v["value"], v["pass"], v["metric"], v["threshold"]))
    assert verdicts == [(1.0, True, "lstm_ref / torch", 1.0)] * 3
    # and a rest ratio below 1 does not rescue a ratio above the bound
    row = _torch_row(cfg, "float64", [1.2] * 3, [1.0] * 3, [2.0] * 3, [1.0] * 3)
    assert row["rest_ratio_paired"] == pytest.approx(0.6)
    [v] = bench_torch.check_targets([row])
    assert v["value"] == pytest.approx(1.2) and not v["pass"]


def test_bench_torch_imports_without_torch():
    # `make test` has no torch: the module (and its pure logic above) must not need it
    code = ("import sys; sys.path.insert(0, 'benchmarks'); import bench_torch; "
            "assert 'torch' not in sys.modules, 'bench_torch imported torch'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
