"""lstm_ref.errata: verdicts are computed by the engine, never typed.

The framework is tested on claims of its own (a core cell, H = 2, D = 3), so each
verdict has an independent reason: the formulas here are the course's proved ones,
and the planted errors are the kinds the sources make (a transposed weight, a
missing activation derivative, products that do not conform).
"""
from __future__ import annotations

import re

import pytest
import sympy as sp

from lstm_ref import errata, verify
from lstm_ref.errata import (
    Claim,
    Correction,
    ErrataError,
    Model,
    Models,
    Outcome,
    Reading,
    equals,
    forward,
    judge,
    numeric,
    proves,
)
from lstm_ref.verify import Tanh, odot, square

MODELS = Models({"cell": Model("core cell, H = 2, D = 3",
                               lambda: verify.symbolic_cell(H=2, D=3))})


def delta_c(m):
    """∂J/∂c_t: through h_t (o ⊙ (1 − tanh²c)) and from step t+1 (dc_next)."""
    return odot(m.dh_next, m.o, m.ones - square(m.tanh_c)) + m.dc_next


RIGHT_DA_G = proves(lambda m: odot(delta_c(m), m.i, m.ones - square(m.g)), "a_g", "cell")
# the error of source 003: 1 − tanh where 1 − tanh² belongs
WRONG_DA_G = proves(lambda m: odot(delta_c(m), m.i, m.ones - m.g), "a_g", "cell")
# ∂J/∂x through the pre-activations: W_xᵀ δa; the transposed product does not conform
ILL_DX = proves(lambda m: m.W_x * m.h_prev, "x", "cell")


def claim(*checks, kind="formula", correction=RIGHT_DA_G, **kw):
    readings = tuple(Reading(f"R{k + 1}", "", c) for k, c in enumerate(checks))
    return Claim("999-t-01", "test", r"x", readings, kind=kind,
                 correction=None if correction is None else Correction("y", correction), **kw)


def test_a_proved_formula_holds():
    row = judge(claim(RIGHT_DA_G, correction=None), MODELS)
    assert row.verdict == "holds" and row.correction is None
    assert "exact proof" in row.outcomes[0][1].evidence


def test_a_wrong_formula_is_wrong_with_the_engines_counterexample():
    row = judge(claim(WRONG_DA_G), MODELS)
    assert row.verdict == "wrong"
    cx = row.outcomes[0][1].counterexample
    assert re.match(r"entry \[\d\]: as written −?[\d.]+, true value −?[\d.]+ \(core cell", cx)
    assert row.correction.verdict == "holds"


def test_products_that_do_not_conform_are_ill_formed():
    out = ILL_DX(MODELS)
    assert out.verdict == "ill-formed" and "conform" in out.evidence


def test_a_transposed_gradient_is_ill_formed():
    out = proves(lambda m: m.W_f.T * m.o, lambda m: m.W_f, "cell")(MODELS)
    assert out.verdict == "ill-formed" and "shape" in out.evidence


def test_a_forward_equation_is_compared_with_the_model_atoms_written_out():
    right = forward(lambda m: m.g, lambda m: (m.W_g * m.z + m.b_g).applyfunc(Tanh), "cell")
    wrong = forward(lambda m: m.g, lambda m: (m.W_g * m.z).applyfunc(Tanh), "cell")
    assert right(MODELS).verdict == "holds"
    out = wrong(MODELS)
    assert out.verdict == "wrong" and out.counterexample.startswith("entry [")


def test_a_generic_identity():
    a, b = sp.symbols("a b", positive=True)
    assert equals(lambda: sp.log(a * b), lambda: sp.log(a) + sp.log(b))(MODELS).verdict == "holds"
    out = equals(lambda: (a + b) ** 2, lambda: a**2 + b**2)(MODELS)
    assert out.verdict == "wrong" and "left − right" in out.counterexample


def test_readings_that_disagree_are_reported_each():
    row = judge(claim(WRONG_DA_G, RIGHT_DA_G), MODELS)
    assert row.verdict == "R1 wrong · R2 holds"


def test_an_omission_is_shown_with_its_proved_correction():
    row = judge(Claim("999-t-02", "test", r"\text{(no } \partial J/\partial b \text{)}", (),
                      kind="omission", correction=Correction("y", RIGHT_DA_G)), MODELS)
    assert row.verdict == "omits" and row.correction.verdict == "holds"


def test_a_contradiction_needs_statements_that_disagree():
    assert judge(claim(RIGHT_DA_G, WRONG_DA_G, kind="contradiction"), MODELS).verdict \
        == "contradicts"
    assert judge(claim(RIGHT_DA_G, RIGHT_DA_G, kind="contradiction"), MODELS).verdict \
        == "holds"


def test_a_false_statement_needs_its_numbers():
    with pytest.raises(ValueError, match="counterexample"):
        Outcome("false", "sigma' <= 1/4")
    check = numeric(lambda: Outcome("false", "max σ' = 0.25", "σ'(0) = 0.25 > 0.2"))
    assert judge(claim(check), MODELS).verdict == "false"


def test_a_row_that_fails_needs_a_correction_that_holds():
    with pytest.raises(ErrataError, match="no correction"):
        judge(claim(WRONG_DA_G, correction=None), MODELS)
    with pytest.raises(ErrataError, match="correction does not hold"):
        judge(claim(WRONG_DA_G, correction=WRONG_DA_G), MODELS)


@pytest.mark.parametrize("bad, match", [
    (dict(kind="proof"), "kind"),
    (dict(kind="omission"), "omission"),
    (dict(kind="contradiction"), "two statements")])
def test_malformed_claims_are_rejected(bad, match):
    with pytest.raises(ValueError, match=match):
        claim(RIGHT_DA_G, **bad)


def test_an_unknown_model_or_verdict_is_named():
    with pytest.raises(KeyError, match="expected one of"):
        proves(lambda m: m.x, "x", "seq9")(MODELS)
    with pytest.raises(ValueError, match="verdict"):
        Outcome("maybe", "")


def test_the_table_labels_every_row_and_its_text_carries_the_numbers():
    rows = [judge(claim(WRONG_DA_G), MODELS), judge(claim(RIGHT_DA_G, correction=None),
                                                    MODELS)]
    table = errata.Table(rows)
    md = table._repr_markdown_()
    assert md.count("(errata-999-t-01)=") == 2 and "```{list-table}" in md
    text = repr(table)
    assert text.splitlines()[0].startswith("999-t-01     ✗ wrong: entry [")
    assert text.splitlines()[-1] == "2 rows: 1 wrong, 1 holds"
    assert all(len(line) <= 88 for line in text.splitlines())


# --- the transcriptions of the five sources -----------------------------------------------

SOURCE_CLAIMS = [(s, c) for s in errata.SOURCES for c in errata.source_module(s).CLAIMS]


def test_every_source_has_its_claims():
    for s in errata.SOURCES:
        mod = errata.source_module(s)
        assert mod.SOURCE == s and mod.TITLE and mod.SECTIONS and mod.CLAIMS, s


def test_claim_ids_are_unique_and_belong_to_their_source_and_sections():
    ids = [c.id for _, c in SOURCE_CLAIMS]
    assert len(ids) == len(set(ids))
    labels = [c.label for _, c in SOURCE_CLAIMS]
    assert len(labels) == len(set(labels))
    for s, c in SOURCE_CLAIMS:
        assert c.id.startswith(s + "-"), c.id
        assert c.section in errata.source_module(s).SECTIONS, c.id


def test_every_claim_is_a_transcription_with_a_location():
    for _, c in SOURCE_CLAIMS:
        assert c.location.strip() and c.as_written.strip(), c.id
        assert "$" not in c.as_written, f"{c.id}: as_written is LaTeX without $ delimiters"


def test_a_statement_whose_formula_is_wrong_is_false():
    row = judge(claim(WRONG_DA_G, kind="claim"), MODELS)
    assert row.verdict == "false" and row.outcomes[0][1].counterexample


@pytest.mark.parametrize("source", errata.SOURCES)
def test_a_verdict_follows_its_transcription(source):
    # Computed, not typed: the first formula row of each source that does not hold, with its
    # transcription replaced by its own correction, holds; the table row would change with it.
    from dataclasses import replace

    from lstm_ref.errata.audit import _models

    models = _models(source)
    first = next(c for c in errata.source_module(source).CLAIMS
                 if c.kind == "formula" and c.correction is not None)
    row = judge(first, models)
    assert not row.holds, f"{first.id} holds as transcribed"
    planted = replace(first, readings=(Reading("planted", "", first.correction.check),))
    assert judge(planted, models).verdict == "holds"
