"""lstm_ref.errata: every formula of the five sources, transcribed and checked.

The transcriptions are kept apart from the course's own formulas: one module per
source (``src000`` … ``src004``) holds its claims, each in the source's own
notation with its location, and a check per reading that the engine decides
(:mod:`lstm_ref.verify`). Nothing here states a verdict: :func:`audit` computes
them, and the errata chapters show the tables :func:`show` builds.

Modules, in reading order:

1. ``claim``   what a row is made of: Claim, Reading, Correction, Outcome, Model
2. ``checks``  the checks: proves, forward, equals, engine, numeric
3. ``audit``   running them: one Row per claim, its verdict computed
4. ``table``   the table of a section, for the book (MyST) and for nbval (text)
5. ``src000`` … ``src004``  the transcriptions, one module per source

Examples
--------
>>> from lstm_ref import errata
>>> rows = errata.audit("003", "1")          # doctest: +SKIP
>>> errata.show("003", "1")                  # in a notebook: the section's table
"""

from .audit import SOURCES, ErrataError, Models, Row, audit, judge, source_module
from .checks import counterexample_text, engine, equals, forward, numeric, proves, written_out
from .claim import KINDS, VERDICTS, Claim, Correction, Model, Outcome, Reading
from .table import MARK, Summary, Table, show, summary

__all__ = ["SOURCES", "ErrataError", "Models", "Row", "audit", "judge", "source_module",
           "counterexample_text", "engine", "equals", "forward", "numeric", "proves", "written_out",
           "KINDS", "VERDICTS", "Claim", "Correction", "Model", "Outcome", "Reading",
           "MARK", "Summary", "Table", "show", "summary"]
