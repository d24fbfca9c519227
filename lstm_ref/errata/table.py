"""The errata table of a source section, as the book shows it and as plain text.

:func:`show` audits a section and returns a :class:`Table`. In Jupyter Book it
renders as a MyST ``list-table`` of two columns (the notebook output is parsed
as MyST: ``nb_render_markdown_format: myst``):

* left: the row's label (``errata-004-3-1-07``, the target chapters link to),
  its id, its location and its verdict;
* right: the formula as written (display math), each reading with its
  verdict, the correction and the counterexample.

Its plain-text form, one line per row with the verdict and the counterexample's
two values, is what strict nbval compares: a transcription that changes its
verdict changes the stored output.
"""

from __future__ import annotations

from .._text import wrap
from .audit import Row, audit, source_module

__all__ = ["Table", "Summary", "show", "summary", "MARK"]

#: how a verdict is marked
MARK = {"holds": "✓ holds", "wrong": "✗ wrong", "ill-formed": "✗ ill-formed",
        "false": "✗ false", "omits": "○ omits", "contradicts": "✗ contradicts"}


def _sentence(text: str) -> str:
    """``text`` ending in one full stop (or its own ? or !)."""
    text = text.rstrip(". ")
    return text if text.endswith(("?", "!")) else text + "."


def _rows(n: int) -> str:
    return f"{n} row{'s' * (n != 1)}"


def _verdict(text: str) -> str:
    return MARK.get(text, text)


def _math(latex: str, indent: str) -> list[str]:
    lines = ["$$", *latex.strip().split("\n"), "$$"]
    return [indent + line for line in lines]


def _row_markdown(row: Row) -> list[str]:
    c, ind = row.claim, "    "
    left = [f"* - ({c.label})=", f"{ind}**{c.id}**", "", f"{ind}{c.location}", "",
            f"{ind}**{_verdict(row.verdict)}**"]
    right = ["  - " + _math(c.as_written, "")[0], *_math(c.as_written, ind)[1:]]
    if c.damage:
        right += ["", f"{ind}*Text:* {c.damage}"]
    several = len(row.outcomes) > 1 or c.kind == "contradiction"
    for (label, out), reading in zip(row.outcomes, c.readings):
        if several or reading.latex:
            right += ["", f"{ind}*{label}*: {_verdict(out.verdict)}"]
            if reading.latex:
                right += [""] + _math(reading.latex, ind)
        if out.verdict != "holds":
            right += ["", f"{ind}{_sentence(out.evidence)}" if out.evidence else ""]
            if out.counterexample:
                right += ["", f"{ind}*Counterexample:* {_sentence(out.counterexample)}"]
    if row.correction is not None:
        word = "The missing formula" if c.kind == "omission" else "Correction"
        right += ["", f"{ind}*{word}* ({row.correction.evidence}):", ""]
        right += _math(c.correction.latex, ind)
    if c.note:
        right += ["", f"{ind}{c.note}"]
    if c.chapters:
        right += ["", f"{ind}*Checked in:* " + ", ".join(f"{{doc}}`{d}`" for d in c.chapters)]
    return left + right


def _row_text(row: Row) -> str:
    """The row's id, verdict and the two values of its first counterexample (≤ 88 columns)."""
    line = f"{row.claim.id:<12} {_verdict(row.verdict)}"
    for _, out in row.outcomes:
        if out.counterexample:
            line = f"{line}: {out.counterexample.split(' (')[0]}"
            break
    return wrap(line)


class Table:
    """The audited rows of one section; Markdown for the book, text for nbval."""

    def __init__(self, rows: list[Row], heading: str = ""):
        self.rows = rows
        self.heading = heading

    def counts(self) -> dict:
        out: dict = {}
        for r in self.rows:
            v = "readings differ" if "·" in r.verdict else r.verdict
            out[v] = out.get(v, 0) + 1
        return out

    def _summary(self) -> str:
        return ", ".join(f"{n} {v}" for v, n in self.counts().items())

    def _repr_markdown_(self) -> str:
        lines = ["```{list-table}", ":header-rows: 1", ":widths: 24 76",
                 ":class: errata-table", "",
                 "* - Row, location, verdict",
                 "  - As written; readings; correction; counterexample"]
        for row in self.rows:
            lines += _row_markdown(row)
        lines += ["```", "", f"{_rows(len(self.rows))}: {self._summary()}."]
        return "\n".join(lines)

    def __repr__(self) -> str:
        lines = [_row_text(r) for r in self.rows]
        return "\n".join(lines + [wrap(f"{_rows(len(self.rows))}: {self._summary()}")])


def show(source: str, section: str) -> Table:
    """Audit one section of a source and return its table."""
    mod = source_module(source)
    return Table(audit(source, section), mod.SECTIONS[section])



class Summary:
    """Every section of a source: counts of verdicts, and links to the rows that fail."""

    def __init__(self, source: str, rows: list[Row]):
        self.source, self.rows = source, rows

    def _failing(self):
        return [r for r in self.rows if not r.holds]

    def _repr_markdown_(self) -> str:
        counts = Table(self.rows).counts()
        lines = ["| verdict | rows |", "| --- | ---: |"]
        lines += [f"| {_verdict(v)} | {n} |" for v, n in counts.items()]
        lines += ["", f"{_rows(len(self.rows))} in all. The rows that do not hold: "
                  + ", ".join(f"{{ref}}`{r.claim.id} <{r.claim.label}>`" for r in self._failing())
                  + "."]
        return "\n".join(lines)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {v}" for v, n in Table(self.rows).counts().items())
        fails = [r.claim.id for r in self._failing()]
        return "\n".join([wrap(f"source {self.source}: {_rows(len(self.rows))}: {counts}"),
                          *wrap_ids(fails)])


def wrap_ids(ids: list[str]) -> list[str]:
    """``not holding: id, id, …`` in lines of at most 88 columns."""
    return wrap("not holding: " + ", ".join(ids)).split("\n") if ids else []


def summary(source: str, sections=None) -> Summary:
    """Audit the ``sections`` of a source (default: all), reusing rows already judged."""
    if sections is None:
        return Summary(source, audit(source))
    return Summary(source, [r for s in sections for r in audit(source, s)])
