"""The audit: run every check of a source and collect one :class:`Row` per claim.

A source module (``lstm_ref.errata.src004`` …) defines ``SOURCE`` ("004"),
``TITLE``, ``SECTIONS`` (section key → heading), ``MODELS`` (name →
:class:`.claim.Model`) and ``CLAIMS`` (a tuple of :class:`.claim.Claim`, in
document order). :func:`audit` decides them.

The row's verdict is computed from the outcomes:

* a formula or statement: the verdict of its reading, or one per reading
  ("R1 holds · R2 wrong") when the readings disagree;
* an omission: "omits", once its correction (the missing formula) holds;
* a contradiction: "contradicts" when its two statements get different
  verdicts, else their common verdict.

Every row that is not "holds" must carry a correction, and the correction
must hold; otherwise :class:`ErrataError` is raised (a notebook cell fails).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache

from .claim import Claim, Outcome

__all__ = ["SOURCES", "ErrataError", "Models", "Row", "source_module", "audit", "judge"]

#: the five sources, by number
SOURCES = ("000", "001", "002", "003", "004")


class ErrataError(AssertionError):
    """A claim's data cannot give a row: a missing or failing correction."""


class Models:
    """A source's models by name, each built on first use and kept."""

    def __init__(self, specs: dict):
        self._specs = dict(specs)
        self._built: dict = {}
        self.rows: dict = {}      # claim -> Row, so a summary does not judge twice

    def __getitem__(self, name: str):
        if name not in self._specs:
            raise KeyError(f"model: expected one of {sorted(self._specs)}, got {name!r}")
        if name not in self._built:
            self._built[name] = self._specs[name].build()
        return self._built[name]

    def text(self, name: str) -> str:
        """The model in words, for counterexamples."""
        return self._specs[name].text


@dataclass(frozen=True)
class Row:
    """One claim with what its checks found.

    ``outcomes`` pairs each reading's label with its Outcome; ``correction``
    is the Outcome of the correction's check (None when none was needed).
    """

    claim: Claim
    outcomes: tuple[tuple[str, Outcome], ...]
    correction: Outcome | None

    @property
    def verdict(self) -> str:
        kind = self.claim.kind
        if kind == "omission":
            return "omits"
        verdicts = [o.verdict for _, o in self.outcomes]
        if kind == "contradiction":
            return "contradicts" if len(set(verdicts)) > 1 else verdicts[0]
        if len(set(verdicts)) == 1:
            return verdicts[0]
        return " · ".join(f"{label.split(':')[0]} {o.verdict}" for label, o in self.outcomes)

    @property
    def holds(self) -> bool:
        return self.verdict == "holds"


def source_module(source: str):
    """The module of transcriptions of ``source`` ("000" … "004")."""
    if source not in SOURCES:
        raise ValueError(f"source: expected one of {SOURCES}, got {source!r}")
    return importlib.import_module(f"lstm_ref.errata.src{source}")


@cache
def _models(source: str) -> Models:
    return Models(source_module(source).MODELS)


def judge(claim: Claim, models: Models) -> Row:
    """Run a claim's checks (and its correction's when needed): its Row."""
    outcomes = tuple((r.label, r.check(models)) for r in claim.readings)
    for label, out in outcomes:
        if not isinstance(out, Outcome):
            raise TypeError(f"{claim.id}, {label}: a check returned "
                            f"{type(out).__name__}, expected an Outcome")
    if claim.kind == "claim":     # a statement whose formula is wrong is false
        outcomes = tuple((label, Outcome("false", o.evidence, o.counterexample)
                          if o.verdict == "wrong" else o) for label, o in outcomes)
    row = Row(claim, outcomes, None)
    if row.holds:
        return row
    if claim.correction is None:
        raise ErrataError(f"{claim.id}: verdict {row.verdict!r} but no correction")
    fixed = claim.correction.check(models)
    if fixed.verdict != "holds":
        raise ErrataError(f"{claim.id}: the correction does not hold: {fixed}")
    return Row(claim, outcomes, fixed)


def audit(source: str, section: str | None = None, *, claims=None) -> list[Row]:
    """Judge the claims of ``source`` (those of one ``section``, or all).

    ``claims`` replaces the module's CLAIMS (tests plant altered transcriptions).
    """
    mod = source_module(source)
    chosen = mod.CLAIMS if claims is None else tuple(claims)
    if section is not None:
        if section not in mod.SECTIONS:
            raise ValueError(f"section: expected one of {list(mod.SECTIONS)}, got {section!r}")
        chosen = [c for c in chosen if c.section == section]
    models = _models(source)
    rows = []
    for c in chosen:
        if c not in models.rows:
            models.rows[c] = judge(c, models)
        rows.append(models.rows[c])
    return rows
