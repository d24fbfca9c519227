"""Serve MathJax 3 from the built site itself, so math renders with no network.

The MathJax files come from the `django-static-mathjax` wheel (a verbatim copy
of the MathJax 3 `es5/` distribution). Only the pieces the CHTML TeX renderer
loads are copied into `_static/mathjax/`, and `mathjax_path` points at the
local `tex-chtml.js` instead of a CDN. tests/site/test_offline_math.py checks
the result.
"""
from __future__ import annotations

import pathlib
import shutil

import mathjax

ES5 = pathlib.Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
ENTRY = "tex-chtml.js"
# Components that tex-chtml.js may load on demand: TeX extensions, CHTML fonts,
# the context menu, accessibility and its speech-rule engine.
PARTS = ("input", "output/chtml", "output/chtml.js", "ui", "a11y", "sre", "adaptors")


def _configure(app, config):
    config.mathjax_path = f"mathjax/{ENTRY}"


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    dst = pathlib.Path(app.outdir) / "_static" / "mathjax"
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ES5 / ENTRY, dst / ENTRY)
    for part in PARTS:
        src = ES5 / part
        if src.is_dir():
            shutil.copytree(src, dst / part, dirs_exist_ok=True)
        elif src.exists():
            (dst / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / part)


def setup(app):
    if not (ES5 / ENTRY).exists():
        raise RuntimeError(f"MathJax not found at {ES5 / ENTRY}; install django-static-mathjax")
    app.connect("config-inited", _configure, priority=900)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
