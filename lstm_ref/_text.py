"""Printed lines that fit a page: the one line-wrapping rule of the package.

The book shows code and its output in a column of 88 characters (AUTHORING.md). The
exercise checkers (:mod:`lstm_ref.exercises`) and the verification engine
(:mod:`lstm_ref.verify`) print through :func:`wrap`, so every line they print fits.
Pure Python: importing it imports neither NumPy nor SymPy.
"""

from __future__ import annotations

import textwrap

__all__ = ["WIDTH", "INDENT", "wrap"]

WIDTH = 88  # columns of code and output on a page
INDENT = "    "  # continuation lines

_GLUE = "\0"  # stands for a space that must not break a line (``keep``)


def wrap(text: str, width: int = WIDTH, hang: str = INDENT, keep=()) -> str:
    """Wrap one line at spaces; continuation lines get its leading spaces plus ``hang``.

    Parameters
    ----------
    text : str
        One line (no newline); its leading spaces are kept on the first line. A
        non-breaking space (U+00A0) in it is never a break point.
    width : int
        Largest line length.
    hang : str
        Extra indentation of continuation lines.
    keep : iterable of str
        Phrases of ``text`` not to break inside (``"hand formula ≠ SymPy's derivative"``).

    Returns
    -------
    str
        Lines joined by newlines, each at most ``width`` characters (a single word longer
        than that is broken).
    """
    lead = text[:len(text) - len(text.lstrip(" "))]
    if len(text) <= width:
        return text
    for phrase in keep:
        text = text.replace(phrase, phrase.replace(" ", _GLUE))
    lines = textwrap.wrap(text, width, subsequent_indent=lead + hang,
                          break_on_hyphens=False, break_long_words=True)
    return "\n".join(lines).replace(_GLUE, " ")
