"""Which BLAS kernel NumPy runs, which kernel stored outputs came from, and the notebook kernel.

    python tools/blas_kernel.py                  # print library, kernel and threads in use
    python tools/blas_kernel.py --kernelspec DIR # write the Jupyter kernel nbval runs, and
                                                 # say which BLAS it forces

Every notebook records the BLAS its stored outputs came from (`make execute` writes
``metadata.lstm_ref.outputs_blas``). `make test` runs the notebooks once, in the Jupyter kernel
that ``--kernelspec`` writes: the same Python, with OPENBLAS_CORETYPE set to an OpenBLAS kernel
that differs both from the one in use here and from every recorded one, and one thread. Strict
nbval then compares outputs made by two different kernels: a stored output that depends on the
processor or the BLAS build fails on this machine rather than on a reader's.

The other kernel is an older one that the processor certainly runs: Sandybridge (AVX) on
x86-64, else Nehalem, Prescott on a processor without AVX, ARMV8 on 64-bit ARM. Where NumPy
does not use OpenBLAS (macOS wheels use Accelerate) or no other kernel fits, the kernel runs
the default BLAS and says so: the notebooks are then checked for being current, not for
depending on the BLAS.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import platform
import sys

import nbformat
import numpy as np  # noqa: F401  (loads NumPy's BLAS, which threadpoolctl then inspects)
from threadpoolctl import threadpool_info

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import toc  # noqa: E402  (sibling module)

KERNEL_NAME = "lstm-ref-notebooks"  # the Jupyter kernel `make test` runs the notebooks in
METADATA_KEY = "lstm_ref"  # notebook metadata: {"outputs_blas": {library, kernel, threads}}

_PRE_AVX = {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "opteron",
            "opteron_sse3", "barcelona", "bobcat", "nano"}


def blas_kernels() -> list[tuple[str, str, int]]:
    """(library, architecture, threads) of every BLAS that NumPy has loaded."""
    return [(i.get("internal_api", "?"), i.get("architecture", "?"), i.get("num_threads", 0))
            for i in threadpool_info() if i.get("user_api") == "blas"]


def in_use() -> dict:
    """The BLAS this process runs, as notebooks record it: library, kernel, threads."""
    lib, arch, threads = (blas_kernels() or [("none", "?", 0)])[0]
    return {"library": lib, "kernel": arch, "threads": threads}


def other_kernel(machine: str, library: str, current: str, avoid=()) -> str | None:
    """An OpenBLAS kernel that this processor runs, other than ``current`` and ``avoid``."""
    if library != "openblas":
        return None
    taken = {current.lower(), *(k.lower() for k in avoid)}
    if machine in ("x86_64", "AMD64"):
        candidates = ["Prescott"] if current.lower() in _PRE_AVX else ["Sandybridge", "Nehalem"]
    elif machine in ("aarch64", "arm64"):
        candidates = ["ARMV8"]
    else:
        candidates = []
    return next((k for k in candidates if k.lower() not in taken), None)


def recorded(notebook: pathlib.Path) -> dict | None:
    """The BLAS a notebook's stored outputs came from (None: not recorded)."""
    nb = nbformat.read(notebook, as_version=4)
    return nb.metadata.get(METADATA_KEY, {}).get("outputs_blas")


def record(nb, blas: dict) -> None:
    """Note in a notebook's metadata the BLAS its outputs are being made with."""
    nb.metadata.setdefault(METADATA_KEY, {})["outputs_blas"] = dict(blas)


def notebook_kernel() -> tuple[str | None, list[str]]:
    """(the kernel the notebook pass forces or None, the kernels the stored outputs came from)."""
    stored = sorted({(recorded(p) or {}).get("kernel", "?") for p in toc.notebooks()})
    now = in_use()
    return other_kernel(platform.machine(), now["library"], now["kernel"], stored), stored


def write_kernelspec(directory: pathlib.Path, coretype: str | None) -> pathlib.Path:
    """A Jupyter kernel of this Python that runs OpenBLAS ``coretype`` on one thread.

    Written to ``directory/kernels/KERNEL_NAME/kernel.json``; point JUPYTER_PATH at
    ``directory``. With ``coretype`` None the kernel runs the default BLAS.
    """
    env = ({"OPENBLAS_CORETYPE": coretype, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
           if coretype else {})
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": f"Python 3 (OpenBLAS {coretype or 'default'})",
            "language": "python", "env": env}
    path = pathlib.Path(directory) / "kernels" / KERNEL_NAME / "kernel.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernelspec", type=pathlib.Path, metavar="DIR",
                        help="write the notebook kernel under DIR/kernels and say what it runs")
    args = parser.parse_args(argv)
    if args.kernelspec:
        coretype, stored = notebook_kernel()
        write_kernelspec(args.kernelspec, coretype)
        now = in_use()
        made = f"stored outputs made with {', '.join(stored)}"
        if coretype:
            print(f"notebooks run under OpenBLAS {coretype}, 1 thread ({made}; "
                  f"default here {now['kernel']})")
        else:
            print(f"notebooks run under the default BLAS ({now['library']} {now['kernel']}; "
                  f"{made}): NOT checked under another BLAS, no other OpenBLAS kernel fits")
    else:
        for lib, arch, threads in blas_kernels():
            print(f"BLAS: {lib}, kernel {arch}, {threads} thread(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
