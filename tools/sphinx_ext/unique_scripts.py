"""Write each inline <script> once per page.

Sphinx 7.4 adds the scripts that extensions register after the builder starts
a second time when it prepares writing: the first copy has ``filename=None``,
the second ``filename=''``, and the two do not compare equal. For an inline
script with a ``const`` (sphinx-thebe's ``const THEBE_JS_URL = ...``) the copy
is a browser error on every page: "Identifier 'THEBE_JS_URL' has already been
declared". This hook removes such copies from each page's script list.
tests/site/test_site.py checks that no page repeats an inline script.
"""
from __future__ import annotations


def _key(script):
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {})
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _drop_repeated_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    # the builder restores its own list after each page, so edit this page's list in place
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _drop_repeated_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
