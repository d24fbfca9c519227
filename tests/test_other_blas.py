"""The notebooks of `make test` really run under another BLAS than their stored outputs.

`make test` runs the notebooks in the Jupyter kernel that `tools/blas_kernel.py --kernelspec`
writes: OPENBLAS_CORETYPE set to a kernel other than the one in use here and other than every
kernel the stored outputs came from (recorded in each notebook's metadata by `make execute`),
and one thread. If a NumPy build ever ignored that setting, or a notebook lost its record, the
comparison would silently be between two runs of one kernel. These tests fail then.
"""

import os
import pathlib
import sys

import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import blas_kernel  # noqa: E402
import toc  # noqa: E402

ASK = ("import numpy  # loads the BLAS\nfrom threadpoolctl import threadpool_info\n"
       "blas = [i for i in threadpool_info() if i.get('user_api') == 'blas'][0]\n"
       "print(blas['internal_api'], blas['architecture'], blas['num_threads'])")


def _run_in_kernel(kernel_dirs: list[str], code: str) -> str:
    """What ``code`` prints in a fresh kernel of the notebook kernelspec."""
    km = KernelManager(kernel_name=blas_kernel.KERNEL_NAME,
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=kernel_dirs))
    km.start_kernel(cwd=str(ROOT))
    kc = km.client()
    try:
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        msg_id, out = kc.execute(code), []
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                raise AssertionError("\n".join(msg["content"]["traceback"]))
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out).strip()
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_every_notebook_records_the_blas_of_its_stored_outputs():
    for nb in toc.notebooks():
        blas = blas_kernel.recorded(nb)
        assert blas is not None, f"{nb}: no metadata.lstm_ref.outputs_blas (run make execute)"
        assert set(blas) == {"library", "kernel", "threads"} and blas["kernel"] != "?", (nb, blas)


def test_the_notebook_kernel_runs_another_blas_than_the_stored_outputs(tmp_path):
    coretype, stored = blas_kernel.notebook_kernel()
    if coretype is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs on x86-64 or ARM with OpenBLAS: another kernel must fit")
        pytest.skip("NumPy does not use OpenBLAS here (make test says the notebooks are NOT "
                    "checked under another BLAS)")
    default = blas_kernel.in_use()["kernel"]
    assert coretype not in stored and coretype != default, (coretype, stored, default)
    blas_kernel.write_kernelspec(tmp_path, coretype)
    ran = _run_in_kernel([str(tmp_path / "kernels")], ASK)
    assert ran == f"openblas {coretype} 1", (ran, coretype)


def test_without_another_kernel_the_notebook_kernel_runs_the_default(tmp_path):
    blas_kernel.write_kernelspec(tmp_path, None)
    now = blas_kernel.in_use()
    ran = _run_in_kernel([str(tmp_path / "kernels")], ASK)
    assert ran.split()[:2] == [now["library"], now["kernel"]], (ran, now)


@pytest.mark.parametrize("machine, current, avoid, expected", [
    ("x86_64", "SkylakeX", (), "Sandybridge"), ("x86_64", "Haswell", (), "Sandybridge"),
    ("x86_64", "Zen", (), "Sandybridge"), ("x86_64", "Sandybridge", (), "Nehalem"),
    ("x86_64", "Nehalem", (), "Prescott"), ("x86_64", "Prescott", (), None),
    ("x86_64", "SkylakeX", ("SkylakeX",), "Sandybridge"),
    ("x86_64", "SkylakeX", ("Sandybridge",), "Nehalem"),     # outputs made on an older CPU
    ("x86_64", "Haswell", ("SANDYBRIDGE", "Nehalem"), None),
    ("aarch64", "NEOVERSEN1", (), "ARMV8"), ("aarch64", "NEOVERSEN1", ("ARMV8",), None),
    ("aarch64", "ARMV8", (), None), ("ppc64le", "POWER9", (), None),
])
def test_the_other_kernel_is_older_and_differs_from_current_and_stored(machine, current, avoid,
                                                                      expected):
    assert blas_kernel.other_kernel(machine, "openblas", current, avoid) == expected
    assert blas_kernel.other_kernel(machine, "accelerate", current, avoid) is None
