"""The command line: ``python -m lstm_ref.experiments <experiment> [options]``.

Every experiment module provides ``add_arguments(parser)`` and ``run(args) ->
(summary, params)``. A run writes into ``--out`` (default ``runs/<name>``):

* ``checkpoints/``: the latest checkpoint (a killed run resumes from it when
  started again with the same options; ``--fresh`` starts over);
* ``result.json``: the figures, the exact command, the wall time and the machine;
* ``params.npz``: the trained parameters (load with ``allow_pickle=False``).
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import sys
from importlib import import_module
from pathlib import Path

import numpy as np

from .checkpoint import write_json, write_npz

__all__ = ["EXPERIMENTS", "main", "record"]

#: experiment name -> module (relative to this package)
EXPERIMENTS = {"adding": ".adding_cli", "charlm": ".charlm_cli"}


def command_line(argv) -> str:
    """The command as a reader would type it."""
    return shlex.join(["python", "-m", "lstm_ref.experiments", *argv])


def machine() -> dict:
    """Facts that make a wall time comparable (BLAS threads: None if threadpoolctl is absent)."""
    try:
        from threadpoolctl import threadpool_info
        blas = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    except ImportError:
        blas = []
    return {"cpus": os.cpu_count(), "blas_threads": blas[0] if blas else None,
            "python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(terse=True)}


def record(out: Path, summary: dict, params: dict, argv) -> Path:
    """Write ``result.json`` and ``params.npz`` into ``out``, atomically."""
    write_npz(out / "params.npz", params)
    return write_json(out / "result.json",
                      {**summary, "command": command_line(argv), "machine": machine()})


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lstm_ref.experiments",
                                description="Train the course's models; resumable runs.")
    sub = p.add_subparsers(dest="experiment", required=True, metavar="EXPERIMENT")
    for name, module in EXPERIMENTS.items():
        mod = import_module(module, __package__)
        q = sub.add_parser(name, help=mod.__doc__.strip().splitlines()[0],
                           description=mod.__doc__)
        mod.add_arguments(q)
        q.add_argument("--out", type=Path, default=None,
                       help="run directory (default: runs/<a name from the options>)")
        q.add_argument("--fresh", action="store_true",
                       help="delete the run directory's checkpoints and start over")
        q.add_argument("--no-progress", action="store_true", help="no progress bar")
        q.set_defaults(module=mod)
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    out = args.out if args.out is not None else Path("runs") / args.module.default_name(args)
    args.out = out
    if args.fresh and (out / "checkpoints").exists():
        shutil.rmtree(out / "checkpoints")
    summary, params = args.module.run(args)
    path = record(out, summary, params, argv)
    print(f"wrote {path}")
    return 0
