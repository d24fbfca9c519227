"""Smoke tests of the on-demand comparison script (no timing is checked).

`benchmarks/compare_revisions.py` loads lstm_ref's fused path as stored at a
git revision (`lstm_ref/fused.py`, or `lstm_ref/sequence.py` under its old
names for revisions from before the split) and times it against the working
tree. Here each layout loads inside the package and computes what the working
tree's `lstm_ref.fused` computes, and the script runs once on a tiny size.
"""
from __future__ import annotations

import pathlib
import subprocess
import sys

import numpy as np
import pytest

from lstm_ref import fused, init_lstm_params, max_rel_error

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


def _git(*args) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.strip()


def _revision_before_the_split() -> str:
    # the parent of the commit that added lstm_ref/fused.py; HEAD while it is not committed
    added = _git("log", "--no-renames", "--format=%H", "--diff-filter=A", "--",
                 "lstm_ref/fused.py").split()
    return f"{added[-1]}^" if added else "HEAD"


def _grads(path, seed=2, T=3, B=2, D=4, H=5):
    rng = np.random.default_rng(seed)
    p = init_lstm_params(D, H, rng)
    x, dh = rng.standard_normal((T, B, D)), rng.standard_normal((T, B, H))
    h0, c0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    work = path.workspace(T, B, D, H, dtype=np.float64)
    h, c, cache = path.forward(x, h0, c0, p.W, p.b, work=work)
    g = path.backward(dh, cache, work=work)
    return {"h": h.copy(), "c": c.copy(), **{k: v.copy() for k, v in g._asdict().items()}}


def test_a_revision_before_the_split_loads_under_its_old_names(compare_revisions):
    rev = _revision_before_the_split()
    old = compare_revisions.load_fused_at(rev)
    assert old.where == f"lstm_ref/sequence.py at {rev}"
    assert old.forward.__name__ == "lstm_forward" and old.module is not fused
    new = _grads(compare_revisions.working_tree())
    for name, value in _grads(old).items():
        err = max_rel_error(value, new[name])
        assert err <= 1e-12, f"{name}: max_rel_err={err:.1e}"


def test_a_revision_with_fused_py_loads_under_the_new_names(compare_revisions, monkeypatch):
    # a revision that has lstm_ref/fused.py: here the working tree's text, served as git would
    text = (ROOT / "lstm_ref" / "fused.py").read_text()
    asked = []

    def fake_git_show(rev, path):
        asked.append(path)
        return text if path == "lstm_ref/fused.py" else None

    monkeypatch.setattr(compare_revisions, "git_show", fake_git_show)
    old = compare_revisions.load_fused_at("REV")
    assert asked == ["lstm_ref/fused.py"]   # the new layout is preferred; no fallback
    assert old.where == "lstm_ref/fused.py at REV"
    assert old.module is not fused and old.forward is not fused.fused_lstm_forward
    assert old.forward.__name__ == "fused_lstm_forward"
    new = _grads(compare_revisions.working_tree())
    for name, value in _grads(old).items():
        np.testing.assert_array_equal(value, new[name], err_msg=name)


def test_a_revision_without_the_named_functions_is_named(compare_revisions, monkeypatch):
    monkeypatch.setattr(compare_revisions, "git_show",
                        lambda rev, path: "X = 1\n" if path == "lstm_ref/fused.py" else None)
    with pytest.raises(ValueError, match="lacks fused_lstm_forward, fused_lstm_backward"):
        compare_revisions.load_fused_at("REV")


def test_an_unknown_revision_is_an_error(compare_revisions):
    with pytest.raises(subprocess.CalledProcessError):
        compare_revisions.load_fused_at("no-such-revision-0123")


def test_main_prints_one_row_per_size_and_dtype(compare_revisions, capsys):
    argv = ["HEAD", "--sizes", "2,3,4,5", "--dtypes", "float32", "float64", "--rounds", "1"]
    assert compare_revisions.main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("old = lstm_ref/") and "at HEAD" in out[0]
    rows = [line for line in out if line.startswith("(2, 3, 4, 5)")]
    assert [row.split()[4] for row in rows] == ["float32", "float64"]
    for row in rows:
        ratios = [float(v) for v in row.split()[5:]]
        assert len(ratios) == 3 and all(r > 0 for r in ratios)
