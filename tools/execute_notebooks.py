"""Re-execute notebooks in place so that their stored outputs are current.

    python tools/execute_notebooks.py                 # every notebook in _toc.yml
    python tools/execute_notebooks.py book/foo.ipynb  # just these

Authors run this (or `make execute`) after editing a notebook; strict nbval then
compares a fresh run against exactly these stored outputs.
"""
from __future__ import annotations

import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import toc  # noqa: E402  (sibling module)


def execute(path: pathlib.Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)
    return time.perf_counter() - start


if __name__ == "__main__":
    targets = [pathlib.Path(a) for a in sys.argv[1:]] or toc.notebooks()
    for nb_path in targets:
        seconds = execute(nb_path.resolve())
        print(f"executed {nb_path} in {seconds:.1f} s")
