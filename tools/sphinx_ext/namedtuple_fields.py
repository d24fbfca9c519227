"""Keep autodoc's generated "Alias for field number N" out of the API page.

A NamedTuple field is a property whose docstring Python writes itself:
"Alias for field number 0". autodoc prefers the field's ``#:`` comment when
the source has one; for a field without one it would print that generated
sentence, which tells a reader nothing. This hook drops it, so such a field is
listed by name alone (its shape and meaning are in the class docstring).
tests/site/test_site.py checks that no page shows the sentence.
"""
from __future__ import annotations

import re

ALIAS = re.compile(r"^\s*Alias for field number \d+\s*$")


def _drop_alias_lines(app, what, name, obj, options, lines):
    lines[:] = [line for line in lines if not ALIAS.match(line)]


def setup(app):
    app.connect("autodoc-process-docstring", _drop_alias_lines)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
