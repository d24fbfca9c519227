"""What an erratum row is made of: a transcribed claim, its readings, its checks.

A :class:`Claim` is one formula (or one checkable statement) of a source, in the
source's own notation, with its location. It has one :class:`Reading` per
plausible reading of the text (one, "as written", when the text is clean), and
each reading carries a *check*: a function of the source's symbolic models that
decides it with the engine and returns an :class:`Outcome`. The verdict is what
the check returns; nothing in a claim states its verdict.

A claim that is not "holds" carries a :class:`Correction`, in the course's
notation, whose own check must hold: the corrected formula is proved too.

Kinds of claim:

=================  ====================================================  ===========
kind               what the readings are                                 verdicts
=================  ====================================================  ===========
``formula``        the formula, as written (or each reading of it)        holds, wrong, ill-formed
``claim``          a statement of the prose, made checkable               holds, false
``omission``       none: the text leaves the correction out               omits
``contradiction``  the two statements that disagree (earlier, later)      contradicts
=================  ====================================================  ===========
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["VERDICTS", "KINDS", "Outcome", "Reading", "Correction", "Model", "Claim"]

#: every verdict a check can return
VERDICTS = ("holds", "wrong", "ill-formed", "false")
#: every kind of claim
KINDS = ("formula", "claim", "omission", "contradiction")


@dataclass(frozen=True)
class Outcome:
    """What a check found.

    Attributes
    ----------
    verdict : {"holds", "wrong", "ill-formed", "false"}
        "wrong" (a formula) and "false" (a statement) need a ``counterexample``.
    evidence : str
        How it was decided, one short line ("exact proof, 6 entries",
        "(2×3)·(2×1): the product does not conform").
    counterexample : str
        The numbers that show it: an entry, the two values, the point.
    """

    verdict: str
    evidence: str
    counterexample: str = ""

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict: expected one of {VERDICTS}, got {self.verdict!r}")
        if self.verdict in ("wrong", "false") and not self.counterexample:
            raise ValueError(f"counterexample: a {self.verdict!r} outcome needs one, got ''")


@dataclass(frozen=True)
class Model:
    """A symbolic model a source's formulas are checked in, built once per audit.

    ``text`` says what it is, in words (printed with counterexamples);
    ``build()`` makes it (a ``verify.symbolic_*`` model, or anything a check
    needs, such as a dict of symbols for a generic identity).
    """

    text: str
    build: Callable[[], object]


@dataclass(frozen=True)
class Reading:
    """One reading of a claim and the check that decides it.

    Attributes
    ----------
    label : str
        "as written", or the reading ("R1: c_t - 1 read as c_{t-1}").
    latex : str
        The formula of this reading, when it differs from the text as written
        (source notation); "" otherwise.
    check : callable
        ``check(models) -> Outcome``, ``models`` being the source's built
        models by name (:mod:`.checks` makes these).
    """

    label: str
    latex: str
    check: Callable[[dict], Outcome]


@dataclass(frozen=True)
class Correction:
    """The corrected formula (course notation) and the check that proves it."""

    latex: str
    check: Callable[[dict], Outcome]


@dataclass(frozen=True)
class Claim:
    """One row of a source's errata table.

    Attributes
    ----------
    id : str
        ``"004-3.1-07"``: source, section, running number. Its row's label in
        the book is ``errata-004-3-1-07`` (:attr:`label`, lower case).
    location : str
        Where it is: equation number, or section and line.
    as_written : str
        The formula in the source's own notation (LaTeX), or the statement,
        formalised, for a prose claim.
    readings : tuple of Reading
        What is checked (none for an omission).
    kind : {"formula", "claim", "omission", "contradiction"}
    correction : Correction or None
        Required unless every reading holds.
    damage : str
        Extraction damage or ambiguity, in a few words ("" if clean).
    note : str
        A short remark in the course's words ("" if none).
    chapters : tuple of str
        The book pages that check or use it (document names, "peepholes").
    """

    id: str
    location: str
    as_written: str
    readings: tuple[Reading, ...]
    kind: str = "formula"
    correction: Correction | None = None
    damage: str = ""
    note: str = ""
    chapters: tuple[str, ...] = field(default=())

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind: expected one of {KINDS}, got {self.kind!r} ({self.id})")
        if self.kind == "omission":
            if self.readings or self.correction is None:
                raise ValueError(f"{self.id}: an omission has no readings and a correction")
        elif not self.readings:
            raise ValueError(f"readings: a {self.kind} needs at least one ({self.id})")
        if self.kind == "contradiction" and len(self.readings) != 2:
            raise ValueError(f"readings: a contradiction has two statements ({self.id})")

    @property
    def section(self) -> str:
        """The section part of the id (``"3.1"`` of ``"004-3.1-07"``)."""
        return self.id.split("-")[1]

    @property
    def label(self) -> str:
        """The row's label in the book, ``errata-004-3-1-07``."""
        return "errata-" + self.id.replace(".", "-").lower()
