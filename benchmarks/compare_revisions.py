"""Paired comparison: ``lstm_ref.sequence`` at a git revision against the working tree.

    python benchmarks/compare_revisions.py REV                 # all benchmark sizes, both dtypes
    python benchmarks/compare_revisions.py REV --sizes 64,50,256,256 --dtypes float64 --rounds 41

On a shared 2-core machine one whole benchmark run can be 10-20% slower or
faster than the next, so two separate runs of ``make bench`` cannot resolve a
change of a few percent. This script runs, in every round, the GEMM floor, the
old ``lstm_forward`` + ``lstm_backward`` and the new one back to back (in
alternating order), each with its own workspace, and reports the median over
rounds of the per-round ratios: new / old, old / floor and new / floor.

The old module is ``lstm_ref/sequence.py`` as stored at REV, loaded inside the
current package, so it uses the working tree's ``_validate`` and ``params``.
Run on demand; never part of the tests.
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time

import numpy as np

from bench_lstm import CONFIGS, ROOT, gemm_floor, make_inputs
from lstm_ref import sequence as new_sequence


def load_sequence_at(rev: str):
    """``lstm_ref/sequence.py`` as of git revision ``rev``, as a module of the current package."""
    source = subprocess.run(["git", "show", f"{rev}:lstm_ref/sequence.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    name = "lstm_ref._sequence_at_rev"
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "lstm_ref"
    exec(compile(source, f"{rev}:lstm_ref/sequence.py", "exec"), module.__dict__)
    return module


def compare(old, new, B, T, D, H, dtype, rounds):
    x, h0, c0, W, b, dh = make_inputs(B, T, D, H, np.dtype(dtype))
    fns = {"floor": gemm_floor(x, h0, c0, W, b, dh)}
    for label, module in (("old", old), ("new", new)):
        work = module.lstm_workspace(T, B, D, H, dtype=np.dtype(dtype))

        def run(module=module, work=work):
            _, _, cache = module.lstm_forward(x, h0, c0, W, b, work=work)
            return module.lstm_backward(dh, cache, work=work)

        fns[label] = run
    for fn in fns.values():  # warm-up
        for _ in range(3):
            fn()
    times = {label: [] for label in fns}
    for r in range(rounds):
        for label, fn in (list(fns.items()) if r % 2 == 0 else list(fns.items())[::-1]):
            t0 = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - t0)

    def paired(a, b):
        return statistics.median(x / y for x, y in zip(times[a], times[b]))

    return paired("new", "old"), paired("old", "floor"), paired("new", "floor")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rev", help="git revision of the old lstm_ref/sequence.py, e.g. HEAD~3")
    ap.add_argument("--sizes", nargs="*", default=None, help="B,T,D,H (default: the benchmark's four)")
    ap.add_argument("--dtypes", nargs="*", default=["float32", "float64"])
    ap.add_argument("--rounds", type=int, default=None, help="default: 61 at B = 1, 31 up to H = 256, else 9")
    args = ap.parse_args(argv)
    sizes = [tuple(int(v) for v in s.split(",")) for s in args.sizes] if args.sizes else CONFIGS
    old = load_sequence_at(args.rev)
    print(f"old = lstm_ref/sequence.py at {args.rev}; new = working tree. Medians of per-round ratios.")
    print(f"{'(B, T, D, H)':<20} {'dtype':<8} {'new/old':>8} {'old/floor':>10} {'new/floor':>10}")
    for B, T, D, H in sizes:
        rounds = args.rounds or (61 if B == 1 else 31 if H <= 256 else 9)
        for dtype in args.dtypes:
            ratio, old_floor, new_floor = compare(old, new_sequence, B, T, D, H, dtype, rounds)
            print(f"{str((B, T, D, H)):<20} {dtype:<8} {ratio:8.3f} {old_floor:10.3f} {new_floor:10.3f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
