"""Which BLAS kernel NumPy runs, and which other kernel a second test pass can force.

    python tools/blas_kernel.py           # print library, kernel and threads in use
    python tools/blas_kernel.py --other   # print a different OpenBLAS kernel (or nothing)

`make notebooks-other-blas` runs the notebooks a second time with
OPENBLAS_CORETYPE set to the `--other` kernel and one thread, and prints the
kernel in use first, so the log shows that the pass ran where the first did not.
The other kernel is an older one that the processor certainly runs: Sandybridge
(AVX) on x86-64, Nehalem if the default already is Sandybridge, Prescott on a
processor without AVX, ARMV8 on 64-bit ARM. Nothing is printed where NumPy does not
use OpenBLAS (macOS wheels use Accelerate) or no other kernel fits.
"""

from __future__ import annotations

import platform
import sys

import numpy as np  # noqa: F401  (loads NumPy's BLAS, which threadpoolctl then inspects)
from threadpoolctl import threadpool_info

_PRE_AVX = {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "opteron",
            "opteron_sse3", "barcelona", "bobcat", "nano"}


def blas_kernels() -> list[tuple[str, str, int]]:
    """(library, architecture, threads) of every BLAS that NumPy has loaded."""
    return [(i.get("internal_api", "?"), i.get("architecture", "?"), i.get("num_threads", 0))
            for i in threadpool_info() if i.get("user_api") == "blas"]


def other_kernel(machine: str, library: str, current: str) -> str | None:
    """An OpenBLAS kernel other than ``current`` that this processor runs, or None."""
    if library != "openblas":
        return None
    current = current.lower()
    if machine in ("x86_64", "AMD64"):
        candidates = ["Prescott"] if current in _PRE_AVX else ["Sandybridge", "Nehalem"]
    elif machine in ("aarch64", "arm64"):
        candidates = ["ARMV8"]
    else:
        candidates = []
    return next((k for k in candidates if k.lower() != current), None)


if __name__ == "__main__":
    kernels = blas_kernels()
    if sys.argv[1:] == ["--other"]:
        lib, arch, _ = kernels[0] if kernels else ("none", "?", 0)
        print(other_kernel(platform.machine(), lib, arch) or "")
    else:
        for lib, arch, threads in kernels:
            print(f"BLAS: {lib}, kernel {arch}, {threads} thread(s)")
