"""Smoke test of the on-demand comparison script (no timing is checked).

`benchmarks/compare_revisions.py` loads `lstm_ref/sequence.py` as stored at a
git revision and times it against the working tree. Here it runs once, on a
tiny size, against HEAD: the old module must load inside the package and give
the same gradients as the working tree's whenever the file is unchanged.
"""
from __future__ import annotations

import pathlib
import subprocess
import sys

import numpy as np
import pytest

from lstm_ref import init_lstm_params
from lstm_ref import sequence as new_sequence

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compare_revisions():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: compare_revisions.py reads old revisions with git show")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import compare_revisions
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return compare_revisions


def test_old_revision_loads_and_computes_the_same(compare_revisions):
    old = compare_revisions.load_sequence_at("HEAD")
    assert old.__name__ == "lstm_ref._sequence_at_rev" and old is not new_sequence
    unchanged = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "lstm_ref/sequence.py"],
                               cwd=ROOT).returncode == 0
    rng = np.random.default_rng(2)
    T, B, D, H = 3, 2, 4, 5
    p = init_lstm_params(D, H, rng)
    x, dh = rng.standard_normal((T, B, D)), rng.standard_normal((T, B, H))
    h0 = c0 = np.zeros((B, H))
    grads = []
    for module in (old, new_sequence):
        _, _, cache = module.lstm_forward(x, h0, c0, p.W, p.b)
        grads.append(module.lstm_backward(dh, cache))
    if unchanged:
        for name, a, b in zip(grads[1]._fields, *grads):
            np.testing.assert_array_equal(a, b, err_msg=name)


def test_main_prints_one_row_per_size_and_dtype(compare_revisions, capsys):
    assert compare_revisions.main(["HEAD", "--sizes", "2,3,4,5", "--dtypes", "float32", "float64",
                                   "--rounds", "1"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("(2, 3, 4, 5)")]
    assert [row.split()[4] for row in rows] == ["float32", "float64"]
    for row in rows:
        ratios = [float(v) for v in row.split()[5:]]
        assert len(ratios) == 3 and all(r > 0 for r in ratios)
