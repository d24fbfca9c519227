"""What the engine prints fits a page (88 columns) and is shown once in Jupyter.

Oracles: the column count of every printed line and of every exception text
(76, room for a chapter's "✗ rejected: " prefix), and IPython's own
``DisplayFormatter``, which decides what Jupyter shows for a cell's last value.
"""

import pytest
import sympy as sp
from IPython.core.formatters import DisplayFormatter

import lstm_ref.cell
from lstm_ref import verify as V
from lstm_ref.verify import report

LONG = "∂J/∂c_t = ∂J/∂h_t ⊙ o_t ⊙ (1 − tanh²c_t) + dc_next  (source 000, both paths)"


def flat(text):
    """The text with line breaks and indentation collapsed, for matching phrases."""
    return " ".join(text.split())


def assert_fits(text, width):
    too_long = [line for line in text.splitlines() if len(line) > width]
    assert not too_long, f"lines wider than {width} columns: {too_long}"


@pytest.fixture(scope="module")
def cell():
    return V.symbolic_cell(H=2, D=3)


def dc_of(c):
    return V.odot(c.dh_next, c.o, c.ones - V.square(c.tanh_c)) + c.dc_next


# ---------------------------------------------------------------------- the helpers

def test_wrap_keeps_short_lines_and_indents_continuations():
    assert report.wrap("short") == "short"
    text = "  " + " ".join(f"word{k}" for k in range(40))
    lines = report.wrap(text, 30).splitlines()
    assert len(lines) > 1 and all(len(line) <= 30 for line in lines)
    assert lines[0].startswith("  word0") and all(ln.startswith("      w") for ln in lines[1:])
    assert flat(report.wrap(text, 30)) == flat(text)


def test_wrap_does_not_break_a_kept_phrase():
    claim = "hand formula ≠ SymPy's derivative"
    text = "∂J/∂f_t = ∂J/∂c_t ⊙ (c_t − 1)  (the OCR reading): " + claim
    assert len(text) > 76
    assert report.wrap(text, 76).splitlines()[-1] == "    derivative"          # not kept
    assert report.wrap(text, 76, keep=[claim]).splitlines() == [
        "∂J/∂f_t = ∂J/∂c_t ⊙ (c_t − 1)  (the OCR reading):", "    " + claim]


def test_verdict_is_one_line_when_it_fits_else_head_first():
    assert report.verdict("✓ proved  x", "exact") == "✓ proved  x  (exact)"
    details = "exact: hand − SymPy expands to 0 in all 40 entries; " + "more words " * 8
    lines = report.verdict(f"✓ proved  {LONG}", details).splitlines()
    assert lines[:2] == [f"✓ proved  {LONG}",
                         "    exact: hand − SymPy expands to 0 in all 40 entries;"]  # a part a line
    assert all(ln.startswith("    ") and len(ln) <= 88 for ln in lines[2:])
    assert flat(" ".join(lines[1:])) == flat(details)


def test_shorten_cuts_after_whole_terms():
    text = "a*b - c*(d + e) + f*g - h"
    assert report.shorten(text, 100) == text
    assert report.shorten(text, 16) == "a*b + …"              # never inside c*(d + e)
    assert report.shorten(text, 22) == "a*b - c*(d + e) + …"
    assert report.shorten("x" * 50, 10) == "x" * 9 + "…"


# ------------------------------------------------------------ printed verdicts: 88 columns

def test_correct_proofs_fit_in_88_columns(cell, capsys):
    dc = dc_of(cell)
    short = V.prove("∂J/∂c_t", dc, "c", cell)
    long = V.prove(LONG, dc, cell.c, cell)
    sampled = V.prove(LONG, dc, "c", cell, mode="sampled", points=1)
    seq = V.symbolic_sequence(T=2, H=1, D=1)
    node = V.prove("∂J/∂h_2 (T=2, the last step's hidden state, directly)", seq.dh[1],
                   ("h", 1), seq)
    out = capsys.readouterr().out
    assert_fits(out, 88)
    assert str(short) == ("✓ proved  ∂J/∂c_t  (exact: hand − SymPy expands to 0 in all "
                          "2 entries)")
    for res, head, phrase in [(long, "✓ proved  ", "exact: hand − SymPy expands to 0"),
                              (sampled, "✓ agrees  ", "sampled, not a proof: 1 point,"),
                              (node, "✓ proved  ", "assembled node by node through the")]:
        lines = str(res).splitlines()
        assert lines[0] == head + res.name and len(lines) > 1
        assert all(ln.startswith("    ") for ln in lines[1:]) and phrase in flat(str(res))
    assert out == "".join(f"{r}\n" for r in (short, long, sampled, node))


def test_bptt_double_sum_and_identity_verdicts_fit(capsys):
    seq = V.symbolic_sequence(T=2, H=1, D=1)
    db = V.sympy_grad(seq, seq.b)
    res = V.bptt_double_sum("dJ/db: single sweep = source 004's double sum (T=2)", db, seq, "b")
    ok = V.identity("softmax(s, 0)_1 = sigma(s), the two-class softmax is a sigmoid "
                    "(source 001, eq. 14)", sp.Integer(1), sp.Integer(1))
    out = capsys.readouterr().out
    assert_fits(out, 88)
    assert "causality t ≤ T proved exactly" in flat(out)
    assert out == f"{res}\n{ok}\n" and str(ok).startswith("✓ identity  softmax(s, 0)_1")


def test_three_way_table_fits(capsys):
    s = V.symbolic_sequence(T=2, H=1, D=1)
    table = V.three_way(s, {"db": V.sympy_grad(s, s.b), "dc0": V.sympy_grad(s, s.c0)})
    out = capsys.readouterr().out
    assert_fits(out, 88)
    assert out == f"{table}\n" and out.startswith(table.title)
    assert [r.grad for r in table] == ["dc0", "db"] and isinstance(table, list)


# ------------------------------------------------ rejections: 76 columns, evidence kept

def _mismatch(call):
    with pytest.raises(V.FormulaMismatch) as exc:
        call()
    text = str(exc.value)
    assert_fits(text, 76)
    assert_fits("✗ rejected: " + text, 88)
    return exc.value, text


def test_a_long_counterexample_is_wrapped_and_cut_after_whole_terms(cell):
    # source 003's written î: â(1 − â) in place of i(1 − i): a long polynomial difference
    dc = dc_of(cell)
    a_i = cell.a_i
    err, text = _mismatch(lambda: V.prove(
        "003 as written: ∂E/∂î = ∂E/∂i ⊙ â(1 − â), with the pre-activation in place of i",
        V.odot(dc, cell.g, a_i, cell.ones - a_i), "a_i", cell))
    assert flat(err.headline) == ("003 as written: ∂E/∂î = ∂E/∂i ⊙ â(1 − â), with the "
                                  "pre-activation in place of i: hand formula ≠ SymPy's "
                                  "derivative")
    assert text.startswith(err.headline + "\n  exact check")
    entry = flat(text).split("entry [")[1].split(" counterexample")[0]
    assert entry.startswith(("0]: hand − SymPy (", "1]: hand − SymPy ("))   # its size, then
    assert entry.endswith(" + …") and len(entry) < 160                     # cut after a term
    assert "hand  =" in text and "SymPy =" in text and " at " in text


def test_shape_sampled_and_sequence_rejections_fit(cell):
    da = V.sympy_grad(cell, "a")
    err, text = _mismatch(lambda: V.prove("∂E/∂Θ = I^t (∂E/∂Î)ᵀ  (transposed, as source 003 "
                                          "writes it)", cell.z * da.T, cell.W, cell))
    assert "transposed" in flat(text) and "(5, 8)" in text and "(8, 5)" in text
    wrong = V.odot(dc_of(cell), cell.f) + cell.dc_next
    _, text = _mismatch(lambda: V.prove("∂J/∂c_prev with an extra dc_next (sampled check)",
                                        wrong, cell.c_prev, cell, mode="sampled", points=1))
    assert "sampled check" in text and "counterexample" in text
    seq = V.symbolic_sequence(T=2, H=1, D=1)
    _, text = _mismatch(lambda: V.prove("∂J/∂c_0 without the carried dc (T=2, a long name "
                                        "for the test)", seq.dc_T, seq.c0, seq))
    assert "counterexample (seeded forward point" in text
    dW = V.sympy_grad(seq, seq.W)
    _, text = _mismatch(lambda: V.bptt_double_sum("dJ/dW, twice the single sweep (T=2)",
                                                  2 * dW, seq, "W"))
    assert "source 004's double sum" in flat(text) and "Σ_T Σ_(t≤T) ∂E_T/∂(W)_t" in text


def test_identity_rejections_fit_and_cut_long_expressions():
    y, t = V.vector("y", 12), V.vector("t", 12)
    lhs = sp.Matrix([sum((y[k] - t[k]) ** 3 for k in range(12))])
    _, text = _mismatch(lambda: V.identity("a long false claim about a sum of cubes",
                                           lhs, sp.zeros(1, 1)))
    assert "not an identity" in text and "… " not in text.splitlines()[0]
    assert " + …" in text and "lhs − rhs = " in text and "(14 more)" in flat(text)
    s = sp.Symbol("s")
    _, text = _mismatch(lambda: V.identity("tanh, written two ways in one identity",
                                           sp.tanh(s), V.Tanh(s)))
    assert "mixes verify.Tanh and sympy.tanh" in flat(text)


def test_an_agreement_error_fits(monkeypatch, capsys):
    """lstm_ref made wrong on purpose: (2) fails and the message shows the table."""
    real = lstm_ref.cell.lstm_step_backward

    def doubled_db(dh, dc, cache):
        g = real(dh, dc, cache)
        return g._replace(db=2 * g.db)
    monkeypatch.setattr(lstm_ref.cell, "lstm_step_backward", doubled_db)
    c = V.symbolic_cell(H=1, D=1)
    with pytest.raises(V.AgreementError) as exc:
        V.three_way(c, {"db": V.sympy_grad(c, c.b)})
    text = str(exc.value)
    assert_fits(text, 76)
    assert_fits(capsys.readouterr().out, 88)
    assert "disagreement in db" in text and "✗ max_rel_err=" in text


# --------------------------------------------------------- shown once in Jupyter

@pytest.fixture()
def in_cell(monkeypatch):
    """Pretend to run in Jupyter cell ``number[0]`` (report.cell_number reads it)."""
    number = [7]
    monkeypatch.setattr(report, "cell_number", lambda: number[0])
    return number


def shown(obj, capsys):
    """What Jupyter shows for a cell whose last value is obj: formatted data, printed text."""
    capsys.readouterr()
    data, _ = DisplayFormatter().format(obj)
    return data, capsys.readouterr().out


@pytest.mark.parametrize("make", [
    lambda c, v: V.prove("∂J/∂h_1", c.dh[0], ("h", 0), c, verbose=v),
    lambda c, v: V.identity("b = b", c.b, c.b, verbose=v),
    lambda c, v: V.bptt_double_sum("dJ/db", V.sympy_grad(c, c.b), c, "b", verbose=v),
    lambda c, v: V.three_way(c, {"db": V.sympy_grad(c, c.b)}, verbose=v),
], ids=["prove", "identity", "bptt_double_sum", "three_way"])
def test_a_result_ending_its_cell_is_not_shown_twice(in_cell, capsys, make):
    model = V.symbolic_sequence(T=1, H=1, D=1)
    res = make(model, True)
    printed = capsys.readouterr().out
    assert printed == f"{res}\n" and printed.startswith(("✓", "three-way"))
    assert res.printed_in == 7
    assert shown(res, capsys) == ({}, "")                  # same cell: no echo, no repr
    in_cell[0] = 8
    assert shown(res, capsys) == ({}, printed)             # a later cell: the verdict, once
    quiet = make(model, False)
    assert capsys.readouterr().out == "" and quiet.printed_in is None
    assert shown(quiet, capsys) == ({}, printed)           # not printed yet: shown once
    assert res                                             # truthy, usable in an assert


def test_repr_stays_informative(cell):
    proof = V.prove("∂J/∂h_t", cell.dh_next, "h", cell, verbose=False)
    assert repr(proof).startswith("Proof(name='∂J/∂h_t', method='exact', entries=2")
    assert "printed_in" not in repr(proof)
    ident = V.identity("x = x", cell.x, cell.x, verbose=False)
    assert repr(ident) == "IdentityProof(name='x = x', entries=3)"
    assert str(ident) == "✓ identity  x = x"


def test_cell_number_is_ipythons_execution_count(monkeypatch):
    import IPython

    class Shell:
        execution_count = 12
    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    assert report.cell_number() == 12
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert report.cell_number() is None
