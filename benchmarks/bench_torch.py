"""Benchmark: lstm_ref's fused path against PyTorch's ``torch.nn.LSTM`` on the CPU.

    python benchmarks/bench_torch.py            # full run (`make bench-torch`), ~4 min on 2 cores
    python benchmarks/bench_torch.py --quick    # a few short rounds, a smoke test
    python benchmarks/bench_torch.py --out PATH # default book/data/torch_comparison.json

Needs torch (``requirements-bench.txt``; ``make bench-torch`` installs it into
.venv). Nothing else in the course does: the tests and the book never import
torch, and this module imports it only when it runs.

What is timed, at the four sizes (B, T, D, H) of ``bench_lstm.py``, in float32
and float64, one forward + backward each:

* ``lstm_ref`` -- ``fused_lstm_forward`` + ``fused_lstm_backward`` with one
  ``fused_workspace`` reused across calls, exactly as ``bench_lstm.py`` times it;
* ``torch``    -- ``torch.nn.LSTM(D, H)`` with the same weights (see
  :func:`torch_lstm_parameters`), ``out, _ = lstm(x, (h0, c0))`` and
  ``out.backward(dh)``, where x, h0 and c0 require gradients (so torch computes
  dx, dh0, dc0 and the weight gradients, as lstm_ref does) and every ``.grad``
  is reset to None before the call (what ``zero_grad()`` does by default).
  Torch runs with ``torch.set_num_threads(2)``; NumPy's BLAS with its default
  threads (the report records both);
* ``numpy_gemm`` -- lstm_ref's matrix products alone: ``bench_lstm.gemm_floor``,
  the floor of ``bench_lstm.py``, called as it is (NumPy's BLAS, the bundled
  OpenBLAS);
* ``torch_gemm`` -- the very same products with ``torch.mm`` (torch's BLAS,
  MKL): the operands and outputs are ``torch.from_numpy`` views of the
  ``numpy_gemm`` replay's own arrays (:func:`gemm_products`), so shapes,
  dtypes, strides, transposes (as views) and the ``out=`` outputs are the same
  memory; before timing, the script asserts that both write the same results.

Ratios, each the median over rounds of a per-round ratio (:func:`summarize`):
``ratio`` = lstm_ref / torch (the target figure); ``gemm_ratio`` = numpy_gemm /
torch_gemm (the two BLAS libraries on the same products); ``rest_ratio`` = ratio /
gemm_ratio, which equals (lstm_ref / numpy_gemm) / (torch / torch_gemm): what is
left of the ratio once the BLAS difference is taken out. ``lstm_ref / numpy_gemm``
and ``torch / torch_gemm`` are each side's time over its own products. In
float32 torch's whole pass is one oneDNN kernel with its own matrix products, so
there torch / torch_gemm compares a fused kernel against separately called MKL
products, not torch's products inside the pass.

Before any timing the script checks, and asserts, that both compute the same
thing: h, c_T and every gradient agree to 1e-12 in float64 (and 1e-5 in
float32) at a small odd shape (:func:`check_agreement`).

Timing: both libraries keep worker threads that spin for a while after a call,
and on 2 cores the other library's spinning threads slow the first calls after
a switch by up to 2x. So the rounds interleave the four sides (the order
reverses every round), and in every round each side gets an idle gap (``--gap``,
0.2 s: at 0.05 s torch's first call after lstm_ref's was still about 2x slow
in a trial on this machine kind, at 0.2 s it was not), one untimed call, and
then its timed calls (enough for about 0.1 s).
A side's time in a round is the mean of its timed calls; the target figure
is the median over rounds of the per-round ratio lstm_ref / torch (below 1:
lstm_ref is faster).

Targets (exit status 1 if one fails): lstm_ref / torch <= 1.0 in float64 at all
four sizes, and <= 1.2 in float32 at (64, 50, 256, 256) and (128, 35, 512, 512).
In float32 torch runs oneDNN's compiled LSTM kernel, one call for the whole
sequence (the report records the operators torch ran, from its profiler); in
float64 it has no such kernel and runs a loop of generic ATen operators.

This is a benchmark, run on demand, on an idle machine. It is never part of the tests.
"""
from __future__ import annotations

import argparse
import datetime
import inspect
import pathlib
import re
import statistics
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_lstm import (  # noqa: E402
    CONFIGS,
    DTYPES,
    gemm_floor,
    machine_info,
    make_inputs,
    run_ref,
    save_report,
)

from lstm_ref import (  # noqa: E402
    GATES,
    fused_lstm_backward,
    fused_lstm_forward,
    fused_workspace,
    init_lstm_params,
    max_rel_error,
)

THREADS = 2
#: torch.nn.LSTM's gate order (its documentation: W_ii|W_if|W_ig|W_io)
TORCH_GATES = ("i", "f", "g", "o")
#: lstm_ref / torch at most this: {dtype: (bound, sizes (B, T, D, H))}
TARGETS = {"float64": (1.0, list(CONFIGS)), "float32": (1.2, list(CONFIGS[2:]))}
#: agreement of the two sides before timing, max_rel_error of every output and gradient
#: (and of the two GEMM replays' outputs)
AGREE_TOL = {"float64": 1e-12, "float32": 1e-5}
#: what is timed in every round (in this order, reversed every other round)
SIDES = ("lstm_ref", "torch", "numpy_gemm", "torch_gemm")
#: the per-round ratios summarize() reports: name -> (numerator, denominator) sides
#: (rest_ratio is ratio / gemm_ratio, computed per round)
RATIOS = {"ratio": ("lstm_ref", "torch"), "gemm_ratio": ("numpy_gemm", "torch_gemm"),
          "lstm_ref_over_gemm": ("lstm_ref", "numpy_gemm"),
          "torch_over_gemm": ("torch", "torch_gemm")}


# ---- the same LSTM in torch's layout (pure NumPy) ------------------------------------


def _torch_rows(H: int) -> np.ndarray:
    """Row indices of lstm_ref's gate blocks [f, i, o, g], taken in torch's order i, f, g, o."""
    return np.concatenate([np.arange(H) + GATES.index(gate) * H for gate in TORCH_GATES])


def torch_lstm_parameters(W: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """lstm_ref's fused W, b as the four parameters of a one-layer ``torch.nn.LSTM``.

    Equations
    ---------
    lstm_ref: a = W [h_prev; x] + b with gate blocks f, i, o, g and
    W = [W_h  W_x]. torch: a = W_ih x + b_ih + W_hh h_prev + b_hh with gate
    blocks i, f, g, o. So, with P the permutation of the row blocks::

        weight_ih_l0 = P W_x    weight_hh_l0 = P W_h    bias_ih_l0 = P b    bias_hh_l0 = 0

    Parameters
    ----------
    W : ndarray, shape (4H, H+D)
    b : ndarray, shape (4H,)

    Returns
    -------
    dict
        ``weight_ih_l0`` (4H, D), ``weight_hh_l0`` (4H, H), ``bias_ih_l0`` and
        ``bias_hh_l0`` (4H,): C-contiguous arrays of W's dtype, the names of
        ``torch.nn.LSTM(D, H).named_parameters()``.
    """
    H = W.shape[0] // 4
    if W.ndim != 2 or W.shape[0] != 4 * H or W.shape[1] <= H or b.shape != (4 * H,):
        raise ValueError(f"W, b: expected shapes (4H, H+D) and (4H,), got {W.shape} and {b.shape}")
    rows = _torch_rows(H)
    return {
        "weight_ih_l0": np.ascontiguousarray(W[rows, H:]),   # (4H, D)
        "weight_hh_l0": np.ascontiguousarray(W[rows, :H]),   # (4H, H)
        "bias_ih_l0": np.ascontiguousarray(b[rows]),         # (4H,)
        "bias_hh_l0": np.zeros_like(b),                      # (4H,)
    }


def lstm_ref_gradients(grads: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Torch's parameter gradients (names as above) as lstm_ref's dW (4H, H+D) and db (4H,).

    Equations
    ---------
    The inverse of :func:`torch_lstm_parameters`: dW = P^T [d weight_hh  d weight_ih]
    and db = P^T (d bias_ih), which equals P^T (d bias_hh) (both biases enter a alike).
    """
    H = grads["weight_hh_l0"].shape[1]
    rows = _torch_rows(H)
    dW = np.empty((4 * H, H + grads["weight_ih_l0"].shape[1]), grads["weight_ih_l0"].dtype)
    dW[rows, :H] = grads["weight_hh_l0"]                      # (4H, H)
    dW[rows, H:] = grads["weight_ih_l0"]                      # (4H, D)
    db = np.empty(4 * H, grads["bias_ih_l0"].dtype)           # (4H,)
    db[rows] = grads["bias_ih_l0"]
    return dW, db


# ---- lstm_ref's matrix products, for torch.mm (pure NumPy) ------------------------------


def gemm_products(replay) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The products of a ``bench_lstm.gemm_floor`` replay as ``(a, b, out)`` arrays, in order.

    ``replay`` is the function ``gemm_floor`` returns; its operands are read
    from its closure (so the arrays returned here ARE its arrays: the same
    memory, shapes and strides), and ``replay()`` computes ``out = a @ b`` for
    each triple in this order (``tests/test_benchmark_torch_layout.py`` checks
    that call by call). Transposes are transposed views, as in the replay.

    Equations
    ---------
    As ``gemm_floor``'s docstring, with ``da2 = da.reshape(T*B, 4H)``::

        x2 @ W_x.T -> gates2;  h_all[t] @ W_h.T -> rec (t = 0..T-1)
        da[t+1] @ W_h -> dh_t (t = T-2..0);  da[0] @ W_h -> dh0;  da2 @ W_x -> dx
        da2.T @ h_prev2 -> dW_h;  da2.T @ x2 -> dW_x
    """
    v = inspect.getclosurevars(replay).nonlocals
    T, W_h, W_x, da, da2 = v["T"], v["W_h"], v["W_x"], v["da"], v["da2"]
    return ([(v["x2"], W_x.T, v["gates2"])]                                  # (T*B, 4H)
            + [(v["h_all"][t], W_h.T, v["rec"]) for t in range(T)]          # (B, 4H)
            + [(da[t + 1], W_h, v["dh_t"]) for t in range(T - 2, -1, -1)]   # (B, H)
            + [(da[0], W_h, v["dh0"]),                                      # (B, H)
               (da2, W_x, v["dx"]),                                         # (T*B, D)
               (da2.T, v["h_prev2"], v["dW_h"]),                            # (4H, H)
               (da2.T, v["x2"], v["dW_x"])])                                # (4H, D)


def gemm_outputs(products) -> list[np.ndarray]:
    """The distinct output arrays of ``products`` (each once, in order of first use)."""
    seen, outs = set(), []
    for _, _, out in products:
        key = (out.__array_interface__["data"][0], out.shape, out.strides)
        if key not in seen:
            seen.add(key)
            outs.append(out)
    return outs


# ---- targets and ratios (pure; tested with fake timings) --------------------------------


def target_for(B: int, T: int, D: int, H: int, dtype: str) -> float | None:
    """The bound on lstm_ref / torch at this size and dtype, or None if there is none."""
    bound, sizes = TARGETS[dtype]
    return bound if (B, T, D, H) in sizes else None


def per_round(samples: dict, num: str, den: str) -> list[float]:
    """The ratios ``samples[num][k] / samples[den][k]``, one per round k."""
    return [n / d for n, d in zip(samples[num], samples[den], strict=True)]


def summarize(B, T, D, H, dtype, samples: dict, calls: dict) -> dict:
    """One result row from per-round times ``samples[side]`` (seconds per call, one per round).

    ``samples`` has one list per side of :data:`SIDES`, all of the same length.
    Every ``*_paired`` figure is a median over rounds of a ratio of two sides
    timed in the same round: ``ratio_paired`` (lstm_ref / torch, the target
    figure), ``gemm_ratio_paired`` (numpy_gemm / torch_gemm),
    ``lstm_ref_over_gemm_paired`` and ``torch_over_gemm_paired``, and
    ``rest_ratio_paired``, the median of the per-round ratio / gemm_ratio.

    Equations
    ---------
    In round k, with times r, t, n, m of lstm_ref, torch, numpy_gemm, torch_gemm::

        ratio_k = r / t    gemm_k = n / m    rest_k = ratio_k / gemm_k = (r / n) / (t / m)

    so ratio_k = gemm_k * rest_k exactly; the medians need not multiply exactly.
    """
    missing = [side for side in SIDES if side not in samples]
    if missing:
        raise ValueError(f"samples: expected times of the sides {SIDES}, missing {missing}")
    lengths = {side: len(samples[side]) for side in SIDES}
    if len(set(lengths.values())) != 1 or not samples["lstm_ref"]:
        raise ValueError(f"samples: expected the same number (>= 1) of rounds for every side, "
                         f"got {lengths}")
    rounds = {name: per_round(samples, *sides) for name, sides in RATIOS.items()}
    rounds["rest_ratio"] = [r / g for r, g in zip(rounds["ratio"], rounds["gemm_ratio"])]
    times = {side: statistics.median(s) for side, s in samples.items()}
    return {
        "B": B, "T": T, "D": D, "H": H, "dtype": dtype,
        "rounds": lengths["lstm_ref"],
        "calls_per_round": dict(calls),
        "time_s": times,
        "time_min_s": {side: min(s) for side, s in samples.items()},
        "samples_s": {side: list(s) for side, s in samples.items()},
        "round_ratios": rounds["ratio"],
        "round_gemm_ratios": rounds["gemm_ratio"],
        "round_rest_ratios": rounds["rest_ratio"],
        # the figure the targets are judged on: median over rounds of lstm_ref / torch
        "ratio_paired": statistics.median(rounds["ratio"]),
        "gemm_ratio_paired": statistics.median(rounds["gemm_ratio"]),
        "rest_ratio_paired": statistics.median(rounds["rest_ratio"]),
        "lstm_ref_over_gemm_paired": statistics.median(rounds["lstm_ref_over_gemm"]),
        "torch_over_gemm_paired": statistics.median(rounds["torch_over_gemm"]),
        "ratio_of_medians": times["lstm_ref"] / times["torch"],
        "target": target_for(B, T, D, H, dtype),
    }


def check_targets(results: list[dict]) -> list[dict]:
    """One verdict per result row that has a target: ``ratio_paired`` <= the bound."""
    out = []
    for r in results:
        if r["target"] is None:
            continue
        out.append({
            "B": r["B"], "T": r["T"], "D": r["D"], "H": r["H"], "dtype": r["dtype"],
            "metric": "lstm_ref / torch",
            "statistic": "median over rounds of the per-round ratio",
            "op": "<=", "threshold": r["target"], "value": r["ratio_paired"],
            "pass": bool(r["ratio_paired"] <= r["target"]),
        })
    return out


# ---- torch --------------------------------------------------------------------------------


def _torch():
    import torch  # optional dependency: requirements-bench.txt

    return torch


def torch_side(x, h0, c0, W, b, dh):
    """A torch.nn.LSTM with lstm_ref's weights, and a function running forward + backward.

    Returns ``(lstm, tensors, run)``; ``run()`` resets every ``.grad`` to None,
    runs ``out, (h_T, c_T) = lstm(x, (h0, c0))`` and ``out.backward(dh)``, and
    returns ``(out, c_T)``. The gradients are then in the ``.grad`` of
    ``tensors["x"]``, ``tensors["h0"]``, ``tensors["c0"]`` and of the parameters.
    """
    torch = _torch()
    T, B, D = x.shape
    H = h0.shape[1]
    dtype = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[x.dtype]
    lstm = torch.nn.LSTM(D, H, dtype=dtype)
    params = torch_lstm_parameters(W, b)
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            p.copy_(torch.from_numpy(params[name]))
    tensors = {
        "x": torch.tensor(x, requires_grad=True),             # (T, B, D)
        "h0": torch.tensor(h0[None], requires_grad=True),     # (1, B, H): one layer
        "c0": torch.tensor(c0[None], requires_grad=True),     # (1, B, H)
        "dh": torch.tensor(dh),                               # (T, B, H)
    }
    leaves = [tensors["x"], tensors["h0"], tensors["c0"], *lstm.parameters()]

    def run():
        for leaf in leaves:
            leaf.grad = None
        out, (_, c_T) = lstm(tensors["x"], (tensors["h0"], tensors["c0"]))
        out.backward(tensors["dh"])
        return out, c_T

    return lstm, tensors, run


def check_agreement(dtype: str, T=5, B=3, D=4, H=7, seed=3) -> dict[str, float]:
    """Assert that torch.nn.LSTM and lstm_ref.fused compute the same h, c_T and gradients.

    At a small odd shape (B > 1, D != H), with a nonzero bias and random
    h0, c0. Returns the max_rel_error of each quantity; raises AssertionError
    if one exceeds ``AGREE_TOL[dtype]``.
    """
    rng = np.random.default_rng(seed)
    p = init_lstm_params(D, H, rng)
    W = p.W.astype(dtype)
    b = (p.b + 0.5 * rng.standard_normal(4 * H)).astype(dtype)
    x, dh = (rng.standard_normal(s).astype(dtype) for s in ((T, B, D), (T, B, H)))
    h0, c0 = (rng.standard_normal((B, H)).astype(dtype) for _ in range(2))

    h, c, cache = fused_lstm_forward(x, h0, c0, W, b)
    ours = {"h": h, "c_T": c[-1], **fused_lstm_backward(dh, cache)._asdict()}

    lstm, tensors, run = torch_side(x, h0, c0, W, b, dh)
    out, c_T = run()
    dW, db = lstm_ref_gradients({n: q.grad.numpy() for n, q in lstm.named_parameters()})
    rows = _torch_rows(H)
    theirs = {"h": out.detach().numpy(), "c_T": c_T.detach().numpy()[0],
              "dx": tensors["x"].grad.numpy(), "dh0": tensors["h0"].grad.numpy()[0],
              "dc0": tensors["c0"].grad.numpy()[0], "dW": dW, "db": db}
    assert set(theirs) == set(ours), (sorted(theirs), sorted(ours))
    errors = {}
    for name, value in ours.items():
        assert theirs[name].dtype == value.dtype == np.dtype(dtype), (name, theirs[name].dtype)
        errors[name] = max_rel_error(value, theirs[name])
        assert errors[name] <= AGREE_TOL[dtype], (
            f"torch and lstm_ref disagree on {name} in {dtype}: "
            f"max_rel_err={errors[name]:.1e} > {AGREE_TOL[dtype]}")
    # both of torch's bias gradients are the same sum of da (the check above used bias_ih)
    params = dict(lstm.named_parameters())
    errors["db (bias_hh)"] = max_rel_error(params["bias_hh_l0"].grad.numpy(), ours["db"][rows])
    assert errors["db (bias_hh)"] <= AGREE_TOL[dtype], errors
    return errors


def torch_operators(dtype: str, T=6, B=3, D=4, H=5) -> dict:
    """Which operators torch runs for one forward + backward, from its profiler.

    Returns ``{"T": T, "calls": {operator name: number of calls}}`` for one
    call of ``run()`` at a small shape (the choice of kernel depends on the
    dtype, not on the sizes). Nested operators are counted too.
    """
    _torch()
    from torch.profiler import ProfilerActivity, profile

    _, _, run = torch_side(*make_inputs(B, T, D, H, np.dtype(dtype)))
    run()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        run()
    return {"T": T, "calls": {e.key: e.count for e in prof.key_averages()}}


def torch_gemm_side(products):
    """A function computing every ``out = a @ b`` of ``products`` with ``torch.mm``.

    Each array becomes a tensor with ``torch.from_numpy`` (the same memory and
    strides, asserted here), converted once; ``run()`` calls
    ``torch.mm(a, b, out=out)`` for each triple in order.
    """
    torch = _torch()
    triples = []
    for arrays in products:
        tensors = tuple(torch.from_numpy(m) for m in arrays)
        for m, t in zip(arrays, tensors):
            assert t.data_ptr() == m.__array_interface__["data"][0], "from_numpy copied"
            assert tuple(s * m.itemsize for s in t.stride()) == m.strides, (t.stride(), m)
        triples.append(tensors)
    mm = torch.mm

    def run():
        for a, b, out in triples:
            mm(a, b, out=out)
        return triples[-1][2]

    return run


def check_gemm_replays(products, numpy_run, torch_run, dtype: str) -> float:
    """Assert that the NumPy and the torch replay write the same outputs; their max_rel_error.

    Runs ``numpy_run``, keeps copies of every output, fills the outputs with
    NaN, runs ``torch_run`` (same memory) and compares.
    """
    outs = gemm_outputs(products)
    numpy_run()
    expected = [out.copy() for out in outs]
    for out in outs:
        out[...] = np.nan
    torch_run()
    # np.max, not max(): a NaN left by an output torch never wrote must propagate
    err = float(np.max([max_rel_error(e, out) for e, out in zip(expected, outs)]))
    assert err <= AGREE_TOL[dtype], (
        f"torch.mm and NumPy disagree on lstm_ref's products in {dtype}: "
        f"max_rel_err={err:.1e} > {AGREE_TOL[dtype]}")
    return err


# ---- timing -------------------------------------------------------------------------------


def time_config(B, T, D, H, dtype, *, quick: bool, gap: float) -> dict:
    args = make_inputs(B, T, D, H, np.dtype(dtype))
    work = fused_workspace(T, B, D, H, dtype=np.dtype(dtype))
    _, _, torch_run = torch_side(*args)
    numpy_gemm = gemm_floor(*args)
    products = gemm_products(numpy_gemm)
    torch_gemm = torch_gemm_side(products)
    gemm_err = check_gemm_replays(products, numpy_gemm, torch_gemm, dtype)
    fns = {"lstm_ref": lambda: run_ref(*args, work=work), "torch": torch_run,
           "numpy_gemm": numpy_gemm, "torch_gemm": torch_gemm}
    assert tuple(fns) == SIDES

    # Warm-up, each side on its own after an idle gap: at least 3 calls and 0.5 s
    # (quick: 2 calls); the last call's time chooses the calls per round.
    est = {}
    for side, fn in fns.items():
        time.sleep(gap)
        start, n = time.perf_counter(), 0
        while n < (2 if quick else 3) or (not quick and time.perf_counter() - start < 0.5):
            t0 = time.perf_counter()
            fn()
            est[side] = time.perf_counter() - t0
            n += 1
    block = 0.02 if quick else 0.1                # seconds of timed calls per side and round
    calls = {side: max(1, round(block / est[side])) for side in fns}
    round_s = sum(gap + (1 + calls[side]) * est[side] for side in fns)
    budget = 0.5 if quick else 15.0               # seconds of measuring per size and dtype
    lo, hi = (3, 3) if quick else (9, 31)
    rounds = int(min(hi, max(lo, budget / round_s)))
    rounds += 1 - rounds % 2                      # odd: the median is one measured ratio

    samples = {side: [] for side in fns}
    for r in range(rounds):
        order = list(fns) if r % 2 == 0 else list(fns)[::-1]
        for side in order:
            fn = fns[side]
            time.sleep(gap)   # the other side's worker threads stop spinning
            fn()              # untimed: this side's threads wake up
            t0 = time.perf_counter()
            for _ in range(calls[side]):
                fn()
            samples[side].append((time.perf_counter() - t0) / calls[side])
    row = summarize(B, T, D, H, dtype, samples, calls)
    row["gemm_products"] = len(products)
    row["gemm_replays_max_rel_err"] = gemm_err
    return row


def torch_info() -> dict:
    torch = _torch()
    return {
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "torch_mkldnn_available": bool(torch.backends.mkldnn.is_available()),
        "torch_mkldnn_enabled": bool(torch.backends.mkldnn.enabled),
        "torch_parallel_info": torch.__config__.parallel_info().strip().splitlines(),
    }


def torch_blas_info() -> dict:
    """Torch's BLAS (what ``torch.mm`` calls on the CPU), from ``torch.__config__.show()``."""
    torch = _torch()
    config = torch.__config__.show()
    library = [line.strip(" -") for line in config.splitlines() if "Math Kernel Library" in line]
    build = re.search(r"BLAS_INFO=(\w+)", config)
    return {
        "blas_info": build.group(1) if build else None,          # "mkl"
        "library": library[0] if library else None,
        "mkl_available": bool(torch.backends.mkl.is_available()),
        "cpu_capability": (re.search(r"CPU capability usage: (\w+)", config) or [None, None])[1],
    }


def numpy_blas_info() -> dict:
    """NumPy's BLAS as loaded: ``np.show_config`` names it, threadpoolctl reports its kernel."""
    from threadpoolctl import threadpool_info

    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    numpy_dir = str(pathlib.Path(np.__file__).resolve().parent.parent)
    loaded = [d for d in threadpool_info()
              if d.get("user_api") == "blas" and d.get("filepath", "").startswith(numpy_dir)
              and "numpy" in d.get("filepath", "")]
    lib = loaded[0] if loaded else {}
    return {
        "name": blas.get("name"), "version": blas.get("version"),
        "internal_api": lib.get("internal_api"),                  # "openblas"
        "architecture": lib.get("architecture"),                  # the kernel set it chose
        "threading_layer": lib.get("threading_layer"),
        "num_threads": lib.get("num_threads"),
        "library": pathlib.Path(lib["filepath"]).name if lib else None,
    }


def cpu_simd_flags() -> list[str]:
    """The CPU's vector-extension flags (avx2, fma, avx512*, amx*) from /proc/cpuinfo."""
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines()
                  if line.startswith("flags")), [])
    return sorted(f for f in flags if f in ("avx2", "fma") or f.startswith(("avx512", "amx")))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 short rounds per size (smoke test)")
    ap.add_argument("--gap", type=float, default=None,
                    help="idle seconds before each side's calls in a round (default 0.2)")
    ap.add_argument("--out", default=str(ROOT / "book" / "data" / "torch_comparison.json"),
                    help="the JSON report (default: book/data/torch_comparison.json)")
    args = ap.parse_args(argv)
    gap = args.gap if args.gap is not None else 0.2

    torch = _torch()
    torch.set_num_threads(THREADS)
    info = machine_info()
    tinfo = torch_info()
    print(f"CPU: {info['cpu_model']} ({info['cpu_count']} logical CPUs); load average (1 min) "
          f"at start: {info['load_avg_1min_at_start']:.2f}")
    nblas, tblas, simd = numpy_blas_info(), torch_blas_info(), cpu_simd_flags()
    print(f"CPU vector extensions: {' '.join(simd)}")
    print(f"lstm_ref: numpy {info['numpy']}, {info['blas_name']} {info['blas_version']} "
          f"({nblas['architecture']} kernels), {info['blas_threads']} threads")
    print(f"torch {tinfo['torch']}: {tinfo['torch_threads']} threads "
          f"(torch.set_num_threads({THREADS})), "
          f"oneDNN available: {tinfo['torch_mkldnn_available']}; BLAS: {tblas['library']}")

    agreement = {dtype: check_agreement(dtype) for dtype in ("float64", "float32")}
    for dtype, errs in agreement.items():
        worst = max(errs, key=errs.get)
        print(f"same results ({dtype}): h, c_T, dx, dh0, dc0, dW, db agree, worst {worst} "
              f"max_rel_err={errs[worst]:.1e} <= {AGREE_TOL[dtype]}")
    operators = {dtype: torch_operators(dtype) for dtype in DTYPES}
    for dtype, ops in operators.items():
        fused = sorted(n for n in ops["calls"] if "mkldnn_rnn" in n)
        print(f"torch {dtype} runs {', '.join(fused) if fused else 'no oneDNN RNN kernel'}")

    print(f"\ntimes per forward + backward (medians over rounds); ratios are medians over "
          f"rounds of per-round ratios:\n  ratio = lstm_ref / torch (the target figure), "
          f"gemm = numpy_gemm / torch_gemm (lstm_ref's products alone,\n  NumPy vs torch.mm), "
          f"rest = ratio / gemm, ref/g = lstm_ref / numpy_gemm, tor/g = torch / torch_gemm;"
          f"\n  idle gap {gap} s + one untimed call before each side's calls")
    head = (f"{'(B, T, D, H)':<20} {'dtype':<8} {'lstm_ref ms':>11} {'torch ms':>9} "
            f"{'ratio':>6} {'gemm':>5} {'rest':>5} {'ref/g':>5} {'tor/g':>5} "
            f"{'target':>7} {'rounds':>6}")
    print(head)
    print("-" * len(head))
    start = time.perf_counter()
    results = []
    for B, T, D, H in CONFIGS:
        for dtype in DTYPES:
            r = time_config(B, T, D, H, dtype, quick=args.quick, gap=gap)
            results.append(r)
            target = "" if r["target"] is None else f"<= {r['target']}"
            print(f"{str((B, T, D, H)):<20} {dtype:<8} {1e3 * r['time_s']['lstm_ref']:11.2f} "
                  f"{1e3 * r['time_s']['torch']:9.2f} {r['ratio_paired']:6.2f} "
                  f"{r['gemm_ratio_paired']:5.2f} {r['rest_ratio_paired']:5.2f} "
                  f"{r['lstm_ref_over_gemm_paired']:5.2f} {r['torch_over_gemm_paired']:5.2f} "
                  f"{target:>7} {r['rounds']:6d}", flush=True)
    elapsed = time.perf_counter() - start

    verdicts = check_targets(results)
    print("\nTargets (lstm_ref / torch, median of per-round ratios)")
    for v in verdicts:
        print(f"  {'PASS' if v['pass'] else 'FAIL'}  ({v['B']}, {v['T']}, {v['D']}, {v['H']}) "
              f"{v['dtype']:>7}: {v['value']:.2f} {v['op']} {v['threshold']}")
    all_pass = all(v["pass"] for v in verdicts)

    report = {
        "schema": 2,
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": "python benchmarks/bench_torch.py" + (" --quick" if args.quick else "")
                   + (f" --gap {args.gap}" if args.gap is not None else ""),
        "quick": args.quick,
        "machine": info,
        **tinfo,
        "numpy_blas_threads": info["blas_threads"],
        "numpy_blas": nblas,
        "torch_blas": tblas,
        "cpu_simd_flags": simd,
        "threads": THREADS,
        "gap_s": gap,
        "sides": list(SIDES),
        "timing": ("rounds interleave the four sides (in the order of sides, reversed every "
                   "other round); in each round each side gets an idle gap, one untimed call, "
                   "then calls_per_round timed calls; a side's time in a round is their mean; "
                   "time_s are medians over rounds"),
        "ratios": {
            "ratio_paired": "median over rounds of lstm_ref / torch (the target figure)",
            "gemm_ratio_paired": "median over rounds of numpy_gemm / torch_gemm",
            "rest_ratio_paired": ("median over rounds of (lstm_ref / torch) / (numpy_gemm / "
                                  "torch_gemm) = (lstm_ref / numpy_gemm) / (torch / torch_gemm)"),
            "lstm_ref_over_gemm_paired": "median over rounds of lstm_ref / numpy_gemm",
            "torch_over_gemm_paired": ("median over rounds of torch / torch_gemm; in float32 "
                                       "torch's pass is one oneDNN kernel (its own products), "
                                       "so this compares a fused kernel against separately "
                                       "called torch.mm products"),
        },
        "lstm_ref_call": "fused_lstm_forward + fused_lstm_backward, one fused_workspace reused",
        "torch_call": ("torch.nn.LSTM(D, H): grads set to None, out, _ = lstm(x, (h0, c0)), "
                       "out.backward(dh); x, h0, c0 require grad"),
        "numpy_gemm_call": ("bench_lstm.gemm_floor: lstm_ref's matrix products alone, "
                            "np.matmul on preallocated operands (out=)"),
        "torch_gemm_call": ("the same products with torch.mm(a, b, out=out) on "
                            "torch.from_numpy views of numpy_gemm's own arrays (same memory "
                            "and strides; transposes as views)"),
        "agreement_max_rel_err": agreement,
        "agreement_tol": AGREE_TOL,
        "torch_operators": operators,
        "results": results,
        "targets": verdicts,
        "all_pass": all_pass,
    }
    return save_report(report, args.out, elapsed)


if __name__ == "__main__":
    sys.exit(main())
