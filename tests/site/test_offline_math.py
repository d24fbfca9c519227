"""Math must render with no network: MathJax is served from the built site itself."""
from __future__ import annotations

import re

import pytest

# Sphinx appends ?v=<checksum> on rebuilds, once the file exists in _static
MATHJAX_TAG = re.compile(r"<script[^>]*src=\"([^\"?]*tex-chtml\.js)(?:\?[^\"]*)?\"", re.I)


def test_pages_load_mathjax_from_the_site(html_dir):
    html = (html_dir / "book" / "notation.html").read_text(encoding="utf-8")
    srcs = MATHJAX_TAG.findall(html)
    assert srcs, "notation.html does not load MathJax at all"
    for src in srcs:
        assert not src.startswith(("http:", "https:", "//")), (
            f"MathJax comes from the network: {src}"
        )
        local = (html_dir / "book" / src).resolve()
        assert local.is_file(), f"MathJax script {src} is not in the built site"
        assert local.stat().st_size > 500_000, (
            "the local tex-chtml.js is not the full MathJax build"
        )
        assert "MathJax" in local.read_text(encoding="utf-8", errors="replace")[:200_000]


@pytest.mark.parametrize("component", [
    "output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",   # the fonts CHTML draws with
    "input/tex/extensions/ams.js",                             # AMS environments loaded on demand
    "ui/menu.js",                                              # the context menu
])
def test_mathjax_components_loaded_on_demand_are_bundled(html_dir, component):
    assert (html_dir / "_static" / "mathjax" / component).is_file(), f"missing {component}"


def test_no_page_mentions_a_mathjax_cdn(html_dir):
    offenders = [p.name for p in html_dir.rglob("*.html")
                 if re.search(r"cdn\.jsdelivr\.net/npm/mathjax"
                              r"|cdnjs\.cloudflare\.com/ajax/libs/mathjax",
                              p.read_text(encoding="utf-8"))]
    assert not offenders, f"pages that point at a MathJax CDN: {offenders}"
