"""How the engine prints: lines within 88 columns, and no second copy in Jupyter.

Every line the engine prints (``✓ proved …``, ``✓ agrees …``, ``✓ identity …``,
the three-way table) fits in ``WIDTH`` = 88 columns, the width of code and
output on the course's pages. A verdict too long for one line keeps its head
on the first line and continues on lines indented by 4 spaces, one line per
part of its details::

    ✓ proved  dJ/da_1 at T=3 (dh_next and dc_next from steps 2 and 3)
        exact: hand − SymPy expands to 0 in all 8 entries;
        SymPy's derivative assembled node by node through the unrolled graph

The texts of :class:`.prove.FormulaMismatch` and :class:`.agree.AgreementError`
are wrapped to ``MESSAGE_WIDTH`` = 76 columns, so that a chapter's
``print("✗ rejected:", err)`` still fits in 88; long expressions in them are
cut after whole terms (``… + …``).

Results (:class:`.prove.Proof`, :class:`.identity.IdentityProof`,
:class:`.agree.AgreementTable`) print their verdict when they are made. A call
that ends a Jupyter cell would then show the result a second time, as its
repr. :class:`Printed` prevents that: displayed in the cell that printed it, a
result shows nothing; displayed anywhere else (or made with ``verbose=False``)
it shows its verdict once. ``repr()`` stays the full, informative dataclass
repr for debugging.
"""

from __future__ import annotations

import dataclasses
import sys

from .._text import INDENT, WIDTH, wrap

__all__ = ["WIDTH", "MESSAGE_WIDTH", "INDENT", "wrap", "wrap_lines", "verdict", "shorten",
           "cell_number", "Printed"]

MESSAGE_WIDTH = 76    # exception texts: room for a 12-column prefix such as "✗ rejected: "


def wrap_lines(text: str, width: int = MESSAGE_WIDTH, keep=()) -> str:
    """:func:`wrap` every line of a multi-line message (default ``MESSAGE_WIDTH``)."""
    return "\n".join(wrap(line, width, keep=keep) for line in text.split("\n"))


def verdict(head: str, details: str) -> str:
    """``head  (details)`` on one line if it fits in ``WIDTH``, else wrapped.

    Wrapped, the head (``✓ proved  <name>``) stays on the first line (itself
    wrapped if the name is very long) and the details follow, without the
    parentheses, on lines indented by 4 spaces; each ``"; "``-separated part
    of the details starts a new line.
    """
    one = f"{head}  ({details})"
    if len(one) <= WIDTH:
        return one
    parts = details.split("; ")
    parts = [p + ";" for p in parts[:-1]] + parts[-1:]
    return "\n".join([wrap(head)] + [wrap(INDENT + p, hang="") for p in parts])


def _top_level_breaks(text: str):
    """Positions of " + " and " - " between the terms of a printed sum (outside brackets)."""
    depth = 0
    for k, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith((" + ", " - "), k):
            yield k


def shorten(text: str, limit: int) -> str:
    """Cut a printed expression to at most ``limit`` characters after a whole term.

    ``a*b - c*d + e*f`` becomes ``a*b - c*d + …``; text that is not a sum is
    cut anywhere and ends in ``…``.
    """
    if len(text) <= limit:
        return text
    cut = [k for k in _top_level_breaks(text) if k + 4 <= limit]
    if cut:
        return text[:cut[-1]] + " + …"
    return text[:limit - 1] + "…"


def cell_number():
    """The execution count of the running IPython/Jupyter cell, or None outside IPython.

    Constant while one cell runs, different in the next: it tells whether a
    result is displayed in the cell that printed it.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "execution_count", None)


class Printed:
    """Mixin: a result whose ``str`` is the verdict it printed when it was made.

    The class provides ``printed_in``: the :func:`cell_number` at which the
    verdict was printed, or None if it was not printed (``verbose=False``).

    Jupyter shows a cell's last value below its printed output. For a result
    printed in that same cell this would be a second copy (formerly the echo
    ``'✓ identity …'`` or a raw ``Proof(name=…)``), so ``_ipython_display_``
    then shows nothing; in any other case it prints the verdict once.
    ``print(result)`` always prints it; ``repr(result)`` is the full repr.
    """

    printed_in = None

    def announce(self, verbose: bool):
        """Print the verdict if ``verbose``; return the result marked as printed in this cell.

        A frozen dataclass is returned as a copy, any other result updated in place.
        """
        if not verbose:
            return self
        print(self)
        if dataclasses.is_dataclass(self):
            return dataclasses.replace(self, printed_in=cell_number())
        self.printed_in = cell_number()
        return self

    def _ipython_display_(self):
        if self.printed_in is None or self.printed_in != cell_number():
            print(self)
