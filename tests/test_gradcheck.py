"""The checkers themselves, on functions whose gradients are known exactly."""

import numpy as np
import pytest

import lstm_ref as L


def test_numerical_gradient_sum_of_squares():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2))
    g = L.numerical_gradient(lambda x: float((x**2).sum()), {"x": x})
    np.testing.assert_allclose(g["x"], 2 * x, rtol=1e-8)


def test_gradcheck_bilinear_form_passes():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((3, 4))
    x, y = rng.standard_normal(3), rng.standard_normal(4)
    report = L.gradcheck(lambda x, A, y: x @ A @ y, dict(x=x, A=A, y=y),
                         dict(x=A @ y, A=np.outer(x, y), y=A.T @ x))
    assert report.ok and report.worst < 1e-8
    assert set(report.errors) == {"x", "A", "y"}
    assert report.assert_ok() is report
    assert "norm_rel_err=" in str(report)


def test_gradcheck_detects_a_wrong_gradient():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((3, 3))
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    wrong = dict(x=A @ y, A=np.outer(y, x), y=A.T @ x)  # dA transposed
    report = L.gradcheck(lambda x, A, y: x @ A @ y, dict(x=x, A=A, y=y), wrong)
    assert not report.ok
    assert report.failing == ["A"] and report.worst_name == "A"
    with pytest.raises(AssertionError, match=r"failed .* A \(norm_rel_err="):
        report.assert_ok()


def test_gradcheck_detects_a_tiny_sign_error():
    x = np.array([1.0, -2.0, 3.0])
    wrong = 2 * x
    wrong[0] *= -1
    report = L.gradcheck(lambda x: float((x**2).sum()), {"x": x}, {"x": wrong})
    assert not report.ok


def test_inputs_restored_exactly():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3))
    x[0, 0] = 0.1  # 0.1 + 1e-6 - 1e-6 != 0.1 in floating point
    before = x.copy()
    L.numerical_gradient(lambda x: float(np.sin(x).sum()), {"x": x})
    assert np.array_equal(x.view(np.int64), before.view(np.int64))  # bitwise


def test_inputs_restored_when_f_raises():
    x = np.array([0.1, 0.2, 0.3])
    before = x.copy()
    calls = []

    def f(x):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return float(x.sum())

    with pytest.raises(RuntimeError, match="boom"):
        L.numerical_gradient(f, {"x": x})
    assert np.array_equal(x, before)


def test_wrt_restricts_and_gradcheck_checks_shapes():
    x, y = np.ones(2), np.ones(3)
    g = L.numerical_gradient(lambda x, y: float(x.sum() * y.sum()), {"x": x, "y": y}, wrt=["y"])
    assert list(g) == ["y"]
    np.testing.assert_allclose(g["y"], 2.0, rtol=1e-9)
    with pytest.raises(ValueError, match=r"analytic\['x'\]: expected shape \(2,\).*got \(3,\)"):
        L.gradcheck(lambda x, y: 0.0, {"x": x, "y": y}, {"x": np.ones(3)})


def test_norm_rel_error():
    assert L.norm_rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert L.norm_rel_error(np.zeros(3), np.ones(3)) == 1.0
    assert L.norm_rel_error(np.array([1.0]), np.array([1.0 + 1e-10])) == pytest.approx(
        5e-11, rel=1e-3
    )
    # a norm: one wrong entry among many is diluted
    a = np.ones(100)
    b = a.copy()
    b[7] = 2.0
    assert L.norm_rel_error(a, b) == pytest.approx(1 / (10 + np.sqrt(103)), rel=1e-12)


def test_max_rel_error():
    assert L.max_rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert L.max_rel_error(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0
    assert L.max_rel_error(np.zeros(3), np.ones(3)) == 1.0
    assert L.max_rel_error(np.array([-4.0, 1.0]), np.array([-4.0, 2.0])) == 0.25
    # the max over entries: one wrong entry among many shows in full
    a = np.ones(100)
    b = a.copy()
    b[7] = 2.0
    assert L.max_rel_error(a, b) == 0.5
    with pytest.raises(
        ValueError, match=r"b: expected shape \(3,\) \(the shape of a\), got \(2,\)"
    ):
        L.max_rel_error(np.zeros(3), np.zeros(2))


def test_cmp_prints_one_line_and_passes(capsys):
    a = np.array([1.0, 2.0])
    L.cmp("dW", a, a + 1e-17)
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("dW     ✓ equal within rtol=1e-10, atol=1e-12 (maxdiff=")
    L.cmp("db", a, a * (1 + 1e-12))
    assert capsys.readouterr().out.startswith("db     ✓ equal within")


def test_cmp_raises_on_disagreement_and_shape_mismatch(capsys):
    with pytest.raises(AssertionError, match=r"dW: arrays differ, maxdiff=1\.0e-03"):
        L.cmp("dW", np.zeros(3), np.array([0, 0, 1e-3]))
    assert "dW     ✗ NOT equal within" in capsys.readouterr().out
    with pytest.raises(AssertionError, match=r"dx: shape mismatch.*\(2, 3\).*\(3, 2\)"):
        L.cmp("dx", np.zeros((2, 3)), np.zeros((3, 2)))


def test_cmp_returns_none():
    assert L.cmp("x", np.ones(2), np.ones(2)) is None


def test_cmp_line_does_not_depend_on_bitwise_equality(capsys):
    # Bitwise equality varies with the CPU and BLAS; the printed line must not,
    # apart from the maxdiff number (which the notebook sanitizer masks).
    import re

    a = np.linspace(0.1, 1, 7)
    L.cmp("x", a, a)
    L.cmp("x", a, a * (1 + 1e-15))
    lines = [re.sub(r"maxdiff=\S+\)", "maxdiff=<FLOAT>)", ln)
             for ln in capsys.readouterr().out.splitlines()]
    assert lines[0] == lines[1], lines


def test_cmp_rejects_bad_tolerances():
    with pytest.raises(ValueError, match=r"rtol: expected a float >= 0, got -1e-10"):
        L.cmp("x", np.ones(2), np.ones(2), rtol=-1e-10)
    with pytest.raises(ValueError, match=r"atol: expected a float >= 0, got nan"):
        L.cmp("x", np.ones(2), np.ones(2), atol=float("nan"))
    with pytest.raises(TypeError, match=r"atol: expected a float >= 0, got str"):
        L.cmp("x", np.ones(2), np.ones(2), atol="1e-12")
