"""Benchmark: forward + backward of an LSTM over a sequence, lstm_ref.fused and its baselines.

    python benchmarks/bench_lstm.py            # full run (`make bench`), ~3-4 min on 2 cores
    python benchmarks/bench_lstm.py --quick    # fewer repeats, a smoke test
    python benchmarks/bench_lstm.py --out PATH # default book/data/benchmark.json

For each size (B, T, D, H) and dtype (float32, float64) it times one
``forward + backward`` of

1. ``naive``    -- ``benchmarks/naive_lstm.py``: source 000's per-step equations,
   four gate products per step and per-step weight-gradient outer products;
2. ``lstm_ref`` -- the fused path, ``lstm_ref.fused_lstm_forward`` +
   ``lstm_ref.fused_lstm_backward`` with one ``fused_workspace`` reused across
   calls (as in a training loop);
   ``lstm_ref_fresh`` is the same without a workspace (every buffer allocated per
   call), reported for comparison: page faults on first touch of fresh (T, B, 4H)
   buffers cost more than the elementwise work at the larger sizes;
3. ``floor``    -- only the matrix products that ``lstm_ref`` performs (see
   :func:`gemm_floor`), on preallocated operands with the same shapes, dtypes and
   memory layout, and no elementwise work at all. No implementation that keeps
   lstm_ref's products can be faster than this, so ``lstm_ref / floor`` is the
   overhead of everything else (gate nonlinearities, products of gates,
   Python);
4. ``exp``      -- only lstm_ref's transcendental calls (see :func:`exp_floor`):
   per step one ``np.exp`` over the (B, 4H) gate arguments and one over the
   (B, H) arguments of tanh(c_t) (``np.tanh`` at small B*H, as lstm_ref), on
   exactly the numbers lstm_ref exponentiates. Five of them per hidden unit and
   step is the fewest any formulation of the cell needs, so ``exp / floor`` (the
   ``exp_share``) is the part of the overhead that no rearrangement of the
   NumPy code can remove. It is a lower bound: measured on its own, the calls
   do not compete with the products and the other passes for the caches.

FLOPs of one forward + backward (the matrix products; elementwise work is
O(B H) per step and not counted)::

    forward   a_t  = z_t W^T        2 * B * 4H * (H+D)   per step
    backward  dz_t = da_t W         2 * B * 4H * (H+D)   per step
              dW  += da_t^T z_t     2 * B * 4H * (H+D)   per step
    total                           6 * B * T * 4H * (D+H)

Timing: ``time.perf_counter``. Each implementation first runs for at least 3
calls and 0.5 s (warm-up: every buffer touched, the memory system in its
steady state); then come ``repeats`` rounds (15 to 41) in which the
implementations run one after the other (so a slow phase of the machine hits
all of them alike). The reported time is the median over rounds. Each ratio
is reported three ways: of these medians (``speedup``, ``overhead``), from
the fastest round of each implementation (``*_min``), and as the median over
rounds of the ratio within a round (``*_paired``). The targets are judged on
the ``*_paired`` form: both implementations of a round ran back to back under
the same conditions, so a slow phase of this shared machine cancels in their
ratio, and it is the only one of the three that holds from run to run.
No thread environment variables are set: BLAS runs with its default threads,
which the report records (with the BLAS name and the CPU count).

Targets (each checked in float32 and float64, on the median of per-round
ratios; exit status 1 if any fails):

* speedup = naive / lstm_ref >= 3.5 at B = 1;
* speedup >= 1.2 at the three larger sizes;
* overhead = lstm_ref / floor <= 1.5 at (64, 50, 256, 256) and <= 1.4 at
  (128, 35, 512, 512). What the bound leaves above the floor is the elementwise
  work, and the ``exp`` calls alone take a good part of it.

This is a benchmark, run on demand. It is never part of the unit tests.
"""
from __future__ import annotations

import argparse
import ctypes
import datetime
import json
import os
import pathlib
import platform
import statistics
import sys
import time

import numpy as np

from lstm_ref import fused as ref_fused
from lstm_ref.fused import fused_lstm_backward, fused_lstm_forward, fused_workspace
from lstm_ref.params import init_lstm_params, split_weight

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from naive_lstm import naive_lstm_backward, naive_lstm_forward  # noqa: E402

CONFIGS = [(1, 100, 64, 64), (32, 100, 128, 128), (64, 50, 256, 256), (128, 35, 512, 512)]
DTYPES = ("float32", "float64")
# "lstm_ref" reuses one FusedWorkspace across calls, as a training loop would (the
# floor's operands are preallocated too); "lstm_ref_fresh" allocates every
# buffer on every call and is reported for comparison, without a target.
IMPLS = ("naive", "lstm_ref", "lstm_ref_fresh", "floor", "exp")
#: The implementations that do the counted FLOPs (``exp`` does none).
GEMM_IMPLS = ("naive", "lstm_ref", "lstm_ref_fresh", "floor")

# Targets, judged on the median over rounds of the per-round ratio (the "*_paired" figures).
SPEEDUP_B1 = 3.5          # naive / lstm_ref at B = 1
SPEEDUP_LARGE = 1.2       # naive / lstm_ref at the three larger sizes
#: lstm_ref / floor at most this, at these sizes (B, T, D, H)
OVERHEAD_MAX = {(64, 50, 256, 256): 1.5, (128, 35, 512, 512): 1.4}
OVERHEAD_CONFIGS = list(OVERHEAD_MAX)
#: the statistic every target is judged on: key suffix in a result row
TARGET_STATISTIC = "_paired"


def flops(B: int, T: int, D: int, H: int) -> int:
    """Matrix-product FLOPs of one forward + backward: 6 B T 4H (D+H)."""
    return 6 * B * T * 4 * H * (D + H)


# ---- machine description ------------------------------------------------------


def _openblas_threads() -> int | None:
    """Threads OpenBLAS will use, asked from the library NumPy has loaded."""
    try:
        maps = pathlib.Path("/proc/self/maps").read_text()
    except OSError:
        return None
    libs = sorted({line.split()[-1] for line in maps.splitlines()
                   if "openblas" in line.lower() and line.split()[-1].startswith("/")})
    for path in libs:
        lib = ctypes.CDLL(path)
        for sym in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                    "openblas_get_num_threads"):
            if hasattr(lib, sym):
                return int(getattr(lib, sym)())
    return None


def machine_info() -> dict:
    cfg = np.show_config(mode="dicts")
    blas = cfg.get("Build Dependencies", {}).get("blas", {})
    cpu_model = platform.processor() or ""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_model": cpu_model,
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "blas_name": blas.get("name"),
        "blas_version": blas.get("version"),
        "blas_config": blas.get("openblas configuration"),
        "blas_threads": _openblas_threads(),
        "thread_env": {k: os.environ.get(k) for k in
                       ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
        "load_avg_1min_at_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


# ---- the three things timed ---------------------------------------------------


def make_inputs(B, T, D, H, dtype, seed=0):
    rng = np.random.default_rng(seed)
    params = init_lstm_params(D, H, rng, dtype=dtype)
    x = rng.standard_normal((T, B, D)).astype(dtype)
    h0 = (0.1 * rng.standard_normal((B, H))).astype(dtype)
    c0 = (0.1 * rng.standard_normal((B, H))).astype(dtype)
    dh = rng.standard_normal((T, B, H)).astype(dtype)
    return x, h0, c0, params.W, params.b, dh


def run_naive(x, h0, c0, W, b, dh):
    _, _, cache = naive_lstm_forward(x, h0, c0, W, b)
    return naive_lstm_backward(dh, cache)


def run_ref(x, h0, c0, W, b, dh, work=None):
    _, _, cache = fused_lstm_forward(x, h0, c0, W, b, work=work)
    return fused_lstm_backward(dh, cache, work=work)


#: The matrix products of lstm_ref.fused, as gemm_floor replays them (stored in the JSON).
GEMM_FLOOR_DOC = [
    "forward, once:      x.reshape(T*B, D) @ W_x.T -> gates.reshape(T*B, 4H)"
    "  (lstm_ref: row-scaled copy of W, same layout)",
    "forward, T times:   h_all[t] @ W_h.T -> rec (B, 4H)",
    "backward, T-1 times: da[t+1] @ W_h -> dh_t (B, H)",
    "backward, once:     da[0] @ W_h -> dh0 (B, H)",
    "backward, once:     da.reshape(T*B, 4H) @ W_x -> dx (T*B, D)",
    "backward, once:     da.reshape(T*B, 4H).T @ h_all[:-1].reshape(T*B, H) -> dW[:, :H]",
    "backward, once:     da.reshape(T*B, 4H).T @ x.reshape(T*B, D) -> dW[:, H:]",
]


def gemm_floor(x, h0, c0, W, b, dh):
    """Return a function that performs exactly lstm_ref's matrix products, and nothing else.

    The products and their operands, read from ``lstm_ref/fused.py`` (their
    docstrings list them as "GEMMs performed"), with ``W_h = W[:, :H]`` and
    ``W_x = W[:, H:]`` the column VIEWS that ``split_weight`` returns (strided,
    not copied, so the replay passes BLAS the same leading dimension H+D).
    The forward pass multiplies by ``W_s = -k * W``, a row-scaled copy of ``W``
    with the same shape and layout (its column views have the same strides), so
    the replay uses ``W``'s views; the scaling itself is elementwise work::

        fused_lstm_forward
          once      x.reshape(T*B, D) @ W_x.T      -> gates.reshape(T*B, 4H)  (out=)
          T times   h_all[t] @ W_h.T               -> rec (B, 4H)             (out=)
        fused_lstm_backward
          T-1 times da[t+1] @ W_h                  -> dh_t (B, H)             (out=)
          once      da[0] @ W_h                    -> dh0 (B, H)
          once      da2 @ W_x                      -> dx (T*B, D)
          once      da2.T @ h_all[:-1].reshape(T*B, H)  -> dW[:, :H]          (out=, strided)
          once      da2.T @ x.reshape(T*B, D)      -> dW[:, H:]               (out=, strided)

    where ``da`` is (T, B, 4H) C-contiguous, ``da2 = da.reshape(T*B, 4H)`` and
    ``da2.T`` is its transposed view (BLAS gets a transpose flag, no copy).
    Every operand and output is allocated here, once, with the same shape,
    dtype and memory layout as in lstm_ref (outputs that lstm_ref allocates,
    ``dh0`` and ``dx``, are preallocated here and written with ``out=``).
    The bias add, ``db`` (a sum), the nonlinearities, the gate products and
    the Python bookkeeping are all left out: they are what ``lstm_ref / floor``
    measures.
    """
    T, B, D = x.shape
    H = h0.shape[1]
    dtype = x.dtype
    rng = np.random.default_rng(1)
    W_h, W_x = W[:, :H], W[:, H:]                           # (4H, H), (4H, D) views
    h_all = rng.standard_normal((T + 1, B, H)).astype(dtype)      # (T+1, B, H)
    gates = np.empty((T, B, 4 * H), dtype)                   # (T, B, 4H)
    rec = np.empty((B, 4 * H), dtype)                        # (B, 4H)
    da = rng.standard_normal((T, B, 4 * H)).astype(dtype)    # (T, B, 4H)
    dh_t = np.empty((B, H), dtype)                           # (B, H)
    dh0 = np.empty((B, H), dtype)                            # (B, H)
    dx = np.empty((T * B, D), dtype)                         # (T*B, D)
    dW = np.empty((4 * H, H + D), dtype)                     # (4H, H+D)
    x2 = x.reshape(T * B, D)                                 # (T*B, D) view
    gates2 = gates.reshape(T * B, 4 * H)                     # (T*B, 4H) view
    da2 = da.reshape(T * B, 4 * H)                           # (T*B, 4H) view
    h_prev2 = h_all[:-1].reshape(T * B, H)                   # (T*B, H) view
    dW_h, dW_x = dW[:, :H], dW[:, H:]                        # strided views, as in lstm_ref
    matmul = np.matmul

    def run():
        # forward
        matmul(x2, W_x.T, out=gates2)
        for t in range(T):
            matmul(h_all[t], W_h.T, out=rec)
        # backward
        for t in range(T - 2, -1, -1):
            matmul(da[t + 1], W_h, out=dh_t)
        matmul(da[0], W_h, out=dh0)
        matmul(da2, W_x, out=dx)
        matmul(da2.T, h_prev2, out=dW_h)
        matmul(da2.T, x2, out=dW_x)
        return dW

    return run


def exp_arguments(x, h0, c0, W, b):
    """The arguments of lstm_ref's transcendental calls, step by step.

    ``fused_lstm_forward`` activates the gates with ``exp(u_t)``, u_t = -k a_t
    (k = 1 on f, i, o and 2 on g), and computes tanh(c_t) as
    ``2 / (1 + exp(-2 c_t)) - 1`` when B*H >= ``_TANH_VIA_EXP_MIN``, with
    ``np.tanh(c_t)`` otherwise. Returns ``U`` (T, B, 4H), ``C`` (T, B, H) and
    ``tanh_c_directly`` (bool): the gate arguments, and ``-2 c_t`` or ``c_t``.
    The pre-activations are recomputed from one forward pass's cache (up to
    rounding, lstm_ref's own arguments; a test checks that they give its gates).
    """
    T, B, D = x.shape
    H = h0.shape[1]
    _, c, cache = fused_lstm_forward(x, h0, c0, W, b)
    W_h, W_x = split_weight(W, H)                                 # (4H, H), (4H, D) views
    k = np.ones(4 * H, x.dtype)                                  # (4H,) activation scale
    k[3 * H:] = 2
    a = x @ W_x.T + cache.h_prev_all @ W_h.T + b                 # (T, B, 4H) pre-activations
    U = np.ascontiguousarray(-k * a)                             # (T, B, 4H)
    tanh_c_directly = B * H < ref_fused._TANH_VIA_EXP_MIN
    C = np.ascontiguousarray(c if tanh_c_directly else -2 * c)   # (T, B, H)
    return U, C, tanh_c_directly


def exp_floor(x, h0, c0, W, b, dh):
    """Return a function that performs exactly lstm_ref's transcendental calls, and nothing else.

    Per step, as ``fused_lstm_forward``: ``np.exp`` over the (B, 4H) gate arguments,
    then ``np.exp`` over the (B, H) arguments of tanh(c_t) (``np.tanh`` when
    B*H < ``_TANH_VIA_EXP_MIN``), on the arguments of :func:`exp_arguments`,
    written to preallocated (B, 4H) and (B, H) outputs.
    """
    U, C, tanh_c_directly = exp_arguments(x, h0, c0, W, b)
    out4 = np.empty_like(U[0])                                   # (B, 4H)
    out1 = np.empty_like(C[0])                                   # (B, H)
    second = np.tanh if tanh_c_directly else np.exp

    def run():
        with np.errstate(over="ignore"):   # as lstm_ref: exp(-k a) -> inf is harmless
            for u, c in zip(U, C):
                np.exp(u, out=out4)
                second(c, out=out1)
        return out4

    return run


# ---- timing -------------------------------------------------------------------


def paired(samples: dict, num: str, den: str) -> float:
    """Median over rounds of the per-round ratio ``num / den`` (both timed in the same round)."""
    return statistics.median(n / d for n, d in zip(samples[num], samples[den], strict=True))


def summarize(B, T, D, H, dtype, samples: dict) -> dict:
    """One result row from per-round times ``samples[impl]`` (seconds, one entry per round)."""
    n_flops = flops(B, T, D, H)
    times = {name: statistics.median(s) for name, s in samples.items()}
    fastest = {name: min(s) for name, s in samples.items()}
    return {
        "B": B, "T": T, "D": D, "H": H, "dtype": dtype,
        "flops": n_flops,
        "repeats": len(samples["lstm_ref"]),
        "time_s": times,
        "time_min_s": fastest,
        "samples_s": {name: list(s) for name, s in samples.items()},   # per round, in order
        "gflops": {name: n_flops / times[name] / 1e9 for name in GEMM_IMPLS},
        # ratios of the medians
        "speedup": times["naive"] / times["lstm_ref"],
        "overhead": times["lstm_ref"] / times["floor"],
        "overhead_fresh": times["lstm_ref_fresh"] / times["floor"],
        # lstm_ref's exp calls alone, as a fraction of the floor: the part of the
        # overhead that no rearrangement of the NumPy code removes
        "exp_share": times["exp"] / times["floor"],
        # the same ratios from the fastest round of each
        "speedup_min": fastest["naive"] / fastest["lstm_ref"],
        "overhead_min": fastest["lstm_ref"] / fastest["floor"],
        # ... and as the median over rounds of the ratio within each round (both
        # implementations measured back to back, so a slow phase cancels): the
        # figures the targets are judged on
        "speedup_paired": paired(samples, "naive", "lstm_ref"),
        "overhead_paired": paired(samples, "lstm_ref", "floor"),
        "overhead_fresh_paired": paired(samples, "lstm_ref_fresh", "floor"),
        "exp_share_paired": paired(samples, "exp", "floor"),
    }


def time_config(B, T, D, H, dtype, *, quick: bool) -> dict:
    args = make_inputs(B, T, D, H, np.dtype(dtype))
    floor = gemm_floor(*args)                 # builds the preallocated operands once
    exps = exp_floor(*args)
    work = fused_workspace(T, B, D, H, dtype=np.dtype(dtype))  # once, like the floor's operands
    fns = {"naive": lambda: run_naive(*args), "lstm_ref": lambda: run_ref(*args, work=work),
           "lstm_ref_fresh": lambda: run_ref(*args), "floor": floor, "exp": exps}

    # Warm-up: at least 3 calls and 0.5 s of each (quick: 2 calls), so that every
    # buffer has been touched and the memory system is in its steady state; the
    # last call's time is the estimate that chooses the number of repeats.
    est = {}
    for name, fn in fns.items():
        start, calls = time.perf_counter(), 0
        while calls < (2 if quick else 3) or (not quick and time.perf_counter() - start < 0.5):
            t0 = time.perf_counter()
            fn()
            est[name] = time.perf_counter() - t0
            calls += 1
    budget = 0.6 if quick else 8.0           # seconds of measuring per size and dtype
    lo, hi = (3, 7) if quick else (15, 41)
    repeats = int(min(hi, max(lo, budget / sum(est.values()))))
    repeats += 1 - repeats % 2               # odd: the median is one measured time

    samples = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t0)
    return summarize(B, T, D, H, dtype, samples)


def check_targets(results: list[dict]) -> list[dict]:
    """One verdict per target, judged on the ``*_paired`` ratio of each result row."""
    verdicts = []
    for r in results:
        cfg = (r["B"], r["T"], r["D"], r["H"])
        verdicts.append(("speedup", ">=", SPEEDUP_B1 if r["B"] == 1 else SPEEDUP_LARGE, r))
        if cfg in OVERHEAD_MAX:
            verdicts.append(("overhead", "<=", OVERHEAD_MAX[cfg], r))
    out = []
    for metric, op, threshold, r in verdicts:
        value = r[metric + TARGET_STATISTIC]
        ok = value >= threshold if op == ">=" else value <= threshold
        label = "naive / lstm_ref" if metric == "speedup" else "lstm_ref / floor"
        out.append({
            "B": r["B"], "T": r["T"], "D": r["D"], "H": r["H"], "dtype": r["dtype"],
            "metric": metric, "definition": label,
            "statistic": "median over rounds of the per-round ratio",
            "op": op, "threshold": threshold, "value": value, "pass": bool(ok),
        })
    return out


def _row(r: dict) -> str:
    t, g = r["time_s"], r["gflops"]
    return (f"{r['B']:>4} {r['T']:>4} {r['D']:>4} {r['H']:>4} {r['dtype']:>7} | "
            f"{1e3 * t['naive']:9.2f} {1e3 * t['lstm_ref']:9.2f} {1e3 * t['floor']:9.2f} | "
            f"{g['naive']:6.1f} {g['lstm_ref']:6.1f} {g['floor']:6.1f} | "
            f"{r['speedup_paired']:6.2f}x {r['overhead_paired']:7.2f}x | "
            f"{r['overhead_fresh_paired']:4.2f}x | {r['exp_share_paired']:4.2f} | {r['repeats']:3d}"
            f"   (of the medians: speedup {r['speedup']:.2f}x, overhead {r['overhead']:.2f}x; "
            f"fastest rounds: {r['speedup_min']:.2f}x, {r['overhead_min']:.2f}x)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (smoke test)")
    ap.add_argument("--out", default=str(ROOT / "book" / "data" / "benchmark.json"),
                    help="where to write the JSON report (default: book/data/benchmark.json)")
    args = ap.parse_args(argv)

    info = machine_info()
    print(f"CPU: {info['cpu_model']} ({info['cpu_count']} logical CPUs)")
    print(f"BLAS: {info['blas_name']} {info['blas_version']}, {info['blas_threads']} threads; "
          f"numpy {info['numpy']}, Python {info['python']}")
    print(f"load average (1 min) at start: {info['load_avg_1min_at_start']:.2f} "
          f"(other processes share the CPUs; a load near or above the CPU count inflates times)")
    print("FLOPs = 6*B*T*4H*(D+H); times are medians; GFLOP/s = FLOPs / time; speedup, "
          "overhead, fresh and exp (= lstm_ref's exp calls alone / floor) are medians of "
          "per-round ratios\n")
    head = (f"{'B':>4} {'T':>4} {'D':>4} {'H':>4} {'dtype':>7} | {'naive ms':>9} {'ref ms':>9} "
            f"{'floor ms':>9} | {'naive':>6} {'ref':>6} {'floor':>6} | {'speedup':>7} "
            f"{'overhead':>8} | fresh |  exp | rep")
    print(head)
    print("-" * len(head))

    start = time.perf_counter()
    results = []
    for B, T, D, H in CONFIGS:
        for dtype in DTYPES:
            r = time_config(B, T, D, H, dtype, quick=args.quick)
            results.append(r)
            print(_row(r), flush=True)
    elapsed = time.perf_counter() - start

    verdicts = check_targets(results)
    print("\nTargets (medians of per-round ratios)")
    for v in verdicts:
        print(f"  {'PASS' if v['pass'] else 'FAIL'}  ({v['B']}, {v['T']}, {v['D']}, {v['H']}) "
              f"{v['dtype']:>7}: {v['metric']} = {v['definition']} = {v['value']:.2f} "
              f"{v['op']} {v['threshold']}")
    all_pass = all(v["pass"] for v in verdicts)

    report = {
        "schema": 2,
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": "python benchmarks/bench_lstm.py" + (" --quick" if args.quick else ""),
        "quick": args.quick,
        "machine": info,
        "flops_formula": "6*B*T*4H*(D+H)",
        "timing": "median of `repeats` rounds (time.perf_counter), after warm-up",
        "target_statistic": "median over rounds of the per-round ratio (the *_paired fields)",
        "floor_gemms": GEMM_FLOOR_DOC,
        "impls": list(IMPLS),
        "results": results,
        "targets": verdicts,
        "all_pass": all_pass,
    }
    return save_report(report, args.out, elapsed)


def save_report(report: dict, out, elapsed: float) -> int:
    """Add the run's duration and load, write the JSON, say whether every target was met.

    Shared by this script and ``bench_torch.py``; returns the exit status (1 if a target
    failed).
    """
    report["elapsed_s"] = elapsed
    report["load_avg_1min_at_end"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"\n{'all targets met' if report['all_pass'] else 'SOME TARGETS FAILED'}; "
          f"wrote {out} ({elapsed:.0f} s)")
    return 0 if report["all_pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
