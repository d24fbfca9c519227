"""List, or run again, the commands behind the committed experiment results.

    python tools/rerun_experiments.py             # print every command with its wall time
    python tools/rerun_experiments.py --run rnn   # run those whose directory contains "rnn"

Each ``book/data/experiments/<experiment>/<run>/result.json`` records the exact
command that produced it. A run that is interrupted resumes from its checkpoint
when started again; ``--run`` passes ``--fresh`` so that every run starts over.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shlex
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def results(pattern: str = "") -> list[pathlib.Path]:
    found = sorted((ROOT / "book" / "data" / "experiments").glob("*/*/result.json"))
    return [p for p in found if pattern in p.parent.name]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", metavar="PATTERN", nargs="?", const="", default=None,
                    help="run the commands of the runs whose directory name contains PATTERN")
    args = ap.parse_args()
    for path in results(args.run or ""):
        r = json.loads(path.read_text())
        print(f"{r['command']}\n    # {r['wall_time_s'] / 60:.1f} min, {r['machine']['cpus']} CPUs")
        if args.run is not None:
            words = shlex.split(r["command"])
            subprocess.run([sys.executable, *words[1:], "--fresh"], cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
