"""Paired comparison: lstm_ref's fused path at a git revision against the working tree.

    python benchmarks/compare_revisions.py REV                 # all benchmark sizes, both dtypes
    python benchmarks/compare_revisions.py REV --sizes 64,50,256,256 --dtypes float64 --rounds 41

On a shared 2-core machine one whole benchmark run can be 10-20% slower or
faster than the next, so two separate runs of ``make bench`` cannot resolve a
change of a few percent. This script runs, in every round, the GEMM floor, the
old fused forward + backward and the new one back to back (in alternating
order), each with its own workspace, and reports the median over rounds of the
per-round ratios: new / old, old / floor and new / floor.

The old module is ``lstm_ref/fused.py`` as stored at REV (``fused_lstm_forward``,
``fused_lstm_backward``, ``fused_workspace``). Revisions from before the fused
path moved out of ``lstm_ref/sequence.py`` have no ``lstm_ref/fused.py``; for
them the old module is ``lstm_ref/sequence.py`` at REV, with its names of the
time (``lstm_forward``, ``lstm_backward``, ``lstm_workspace``). Either is loaded
inside the current package, so it uses the working tree's ``_validate``,
``params`` and ``sequence``. Run on demand; never part of the tests.
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from types import ModuleType
from typing import NamedTuple

import numpy as np
from bench_lstm import CONFIGS, ROOT, gemm_floor, make_inputs

from lstm_ref import fused as new_fused


class FusedPath(NamedTuple):
    """The fused forward, backward and workspace factory of one version of lstm_ref."""

    forward: Callable   #: (x, h0, c0, W, b, *, work=None) -> (h, c, cache)
    backward: Callable  #: (dh, cache, *, work=None) -> SeqGrads
    workspace: Callable  #: (T, B, D, H, *, dtype) -> workspace
    module: ModuleType
    where: str          #: e.g. "lstm_ref/fused.py at HEAD~1"


#: Where the fused path lives, newest layout first: (path, forward, backward, workspace).
LAYOUTS = [
    ("lstm_ref/fused.py", "fused_lstm_forward", "fused_lstm_backward", "fused_workspace"),
    ("lstm_ref/sequence.py", "lstm_forward", "lstm_backward", "lstm_workspace"),  # before the split
]


def git_show(rev: str, path: str) -> str | None:
    """The text of ``path`` at git revision ``rev``, or None if the revision has no such file."""
    exists = subprocess.run(["git", "cat-file", "-e", f"{rev}:{path}"], cwd=ROOT,
                            capture_output=True).returncode == 0
    if not exists:
        subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT, check=True,
                       capture_output=True)   # an unknown revision is an error, not a fallback
        return None
    return subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout


def _module_from_source(source: str, label: str) -> ModuleType:
    name = "lstm_ref._fused_at_rev"
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "lstm_ref"
    exec(compile(source, label, "exec"), module.__dict__)
    return module


def load_fused_at(rev: str) -> FusedPath:
    """lstm_ref's fused path as of git revision ``rev``, as a module of the current package."""
    for path, fwd, bwd, work in LAYOUTS:
        source = git_show(rev, path)
        if source is None:
            continue
        where = f"{path} at {rev}"
        module = _module_from_source(source, f"{rev}:{path}")
        missing = [n for n in (fwd, bwd, work) if not hasattr(module, n)]
        if missing:
            raise ValueError(f"rev: expected {where} to define {fwd}, {bwd} and {work}; "
                             f"it lacks {', '.join(missing)}")
        return FusedPath(getattr(module, fwd), getattr(module, bwd), getattr(module, work),
                         module, where)
    raise ValueError(f"rev: expected a revision with lstm_ref/fused.py or lstm_ref/sequence.py, "
                     f"got {rev!r}")


def working_tree() -> FusedPath:
    return FusedPath(new_fused.fused_lstm_forward, new_fused.fused_lstm_backward,
                     new_fused.fused_workspace, new_fused, "lstm_ref/fused.py, working tree")


def compare(old: FusedPath, new: FusedPath, B, T, D, H, dtype, rounds):
    x, h0, c0, W, b, dh = make_inputs(B, T, D, H, np.dtype(dtype))
    fns = {"floor": gemm_floor(x, h0, c0, W, b, dh)}
    for label, path in (("old", old), ("new", new)):
        work = path.workspace(T, B, D, H, dtype=np.dtype(dtype))

        def run(path=path, work=work):
            _, _, cache = path.forward(x, h0, c0, W, b, work=work)
            return path.backward(dh, cache, work=work)

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
    ap.add_argument("rev", help="git revision of the old fused path, e.g. HEAD~3")
    ap.add_argument("--sizes", nargs="*", default=None,
                    help="B,T,D,H (default: the benchmark's four)")
    ap.add_argument("--dtypes", nargs="*", default=["float32", "float64"])
    ap.add_argument("--rounds", type=int, default=None,
                    help="default: 61 at B = 1, 31 up to H = 256, else 9")
    args = ap.parse_args(argv)
    sizes = [tuple(int(v) for v in s.split(",")) for s in args.sizes] if args.sizes else CONFIGS
    old, new = load_fused_at(args.rev), working_tree()
    print(f"old = {old.where}; new = {new.where}. Medians of per-round ratios.")
    print(f"{'(B, T, D, H)':<20} {'dtype':<8} {'new/old':>8} {'old/floor':>10} {'new/floor':>10}")
    for B, T, D, H in sizes:
        rounds = args.rounds or (61 if B == 1 else 31 if H <= 256 else 9)
        for dtype in args.dtypes:
            ratio, old_floor, new_floor = compare(old, new, B, T, D, H, dtype, rounds)
            print(f"{str((B, T, D, H)):<20} {dtype:<8} {ratio:8.3f} {old_floor:10.3f} "
                  f"{new_floor:10.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
