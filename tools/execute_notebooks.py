"""Re-execute notebooks in place so that their stored outputs are current.

    python tools/execute_notebooks.py                 # every notebook in _toc.yml
    python tools/execute_notebooks.py book/foo.ipynb  # just these

Authors run this (or `make execute`) after editing a notebook; strict nbval then
compares a fresh run against exactly these stored outputs. Each notebook also records the
BLAS its outputs were made with (``metadata.lstm_ref.outputs_blas``): `make test` runs the
notebooks under a different one (tools/blas_kernel.py).
"""
from __future__ import annotations

import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import blas_kernel  # noqa: E402  (sibling modules)
import toc  # noqa: E402


def collapse_for_jupyterlab(nb) -> None:
    """Collapse in JupyterLab what the site hides, so a learner meets no spoiler there either.

    Jupyter Book hides a ``hide-input`` cell's code and a ``hide-cell`` cell's code and
    outputs behind a toggle; JupyterLab ignores those tags but honours
    ``metadata.jupyter.source_hidden`` and ``outputs_hidden``, which this sets to match.
    (The cells of a solution are tagged ``hide-cell``: see AUTHORING.md.)
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        jupyter = cell.metadata.setdefault("jupyter", {})
        for key in ("source_hidden", "outputs_hidden"):
            jupyter.pop(key, None)
        if "hide-input" in tags or "hide-cell" in tags:
            jupyter["source_hidden"] = True
        if "hide-cell" in tags:
            jupyter["outputs_hidden"] = True
        if not jupyter:
            del cell.metadata["jupyter"]


def execute(path: pathlib.Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    collapse_for_jupyterlab(nb)
    blas_kernel.record(nb, blas_kernel.in_use())  # the kernel inherits this process's BLAS
    nbformat.write(nb, path)
    return time.perf_counter() - start


if __name__ == "__main__":
    targets = [pathlib.Path(a) for a in sys.argv[1:]] or toc.notebooks()
    for nb_path in targets:
        seconds = execute(nb_path.resolve())
        print(f"executed {nb_path} in {seconds:.1f} s")
