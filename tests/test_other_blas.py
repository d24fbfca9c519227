"""The second notebook pass of `make test` really runs under another BLAS kernel.

`make notebooks-other-blas` sets OPENBLAS_CORETYPE to `tools/blas_kernel.py --other`
and one thread; if a NumPy build ever ignored them, that pass would silently repeat the
first one. These tests fail then.
"""

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import blas_kernel  # noqa: E402


def _run(*args, env_extra=None):
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, str(ROOT / "tools" / "blas_kernel.py"), *args],
                          env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_other_blas_pass_uses_another_kernel_and_one_thread():
    other = _run("--other")
    if not other:
        pytest.skip("NumPy does not use OpenBLAS here (make test prints that the pass is NOT RUN)")
    default = _run()
    forced = _run(env_extra={"OPENBLAS_CORETYPE": other, "OPENBLAS_NUM_THREADS": "1"})
    assert forced == f"BLAS: openblas, kernel {other}, 1 thread(s)", forced
    assert f"kernel {other}," not in default, (default, other)


@pytest.mark.parametrize("machine, current, expected", [
    ("x86_64", "SkylakeX", "Sandybridge"), ("x86_64", "Haswell", "Sandybridge"),
    ("x86_64", "Zen", "Sandybridge"), ("x86_64", "Sandybridge", "Nehalem"),
    ("x86_64", "Nehalem", "Prescott"), ("x86_64", "Prescott", None),
    ("aarch64", "NEOVERSEN1", "ARMV8"), ("aarch64", "ARMV8", None), ("ppc64le", "POWER9", None),
])
def test_the_other_kernel_is_older_and_different(machine, current, expected):
    assert blas_kernel.other_kernel(machine, "openblas", current) == expected
    assert blas_kernel.other_kernel(machine, "accelerate", current) is None
