"""The built website: every page, math served locally, no warnings, the reader's features."""
from __future__ import annotations

import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import toc  # noqa: E402

PAGES = [p.relative_to(ROOT).with_suffix(".html") for p in toc.pages()]
SCRIPT_SRC = re.compile(r"<script[^>]*\bsrc=\"([^\"]+)\"", re.I)


def read(html_dir, rel) -> str:
    return (html_dir / rel).read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_every_toc_page_was_built(html_dir, page):
    assert (html_dir / page).is_file(), f"{page} was not built"


def test_index_redirects_to_the_root_page(html_dir):
    assert "book/intro.html" in read(html_dir, "index.html")


def test_build_log_has_no_warnings():
    log = ROOT / "_build" / "build.log"
    assert log.is_file(), "no _build/build.log; `make build-strict` writes it"
    text = log.read_text(encoding="utf-8", errors="replace")
    warnings = [line for line in text.splitlines() if "WARNING" in line or "ERROR" in line]
    assert not warnings, "the strict build logged:\n" + "\n".join(warnings[:20])
    assert "build succeeded" in text, "the build log does not end in success"


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_no_script_is_loaded_from_the_network(html_dir, page):
    remote = [s for s in SCRIPT_SRC.findall(read(html_dir, page))
              if s.startswith(("http:", "https:", "//"))]
    assert not remote, f"{page} loads scripts from the network: {remote}"


def test_search_page_and_index_exist(html_dir):
    assert (html_dir / "search.html").is_file()
    assert (html_dir / "searchindex.js").is_file()


def test_notation_page_renders_its_table_and_numbered_equations(html_dir):
    html = read(html_dir, "book/notation.html")
    assert "<table" in html
    assert re.search(r'class="eqno"', html), "no numbered display equation on the notation page"


def test_bibliography_page_lists_the_sources(html_dir):
    html = read(html_dir, "book/references.html")
    for needle in ("Masada", "Nakatenus", "Hochreiter", "Gers", "Graves", "Greff"):
        assert needle in html, f"bibliography lacks {needle}"


def test_exercises_have_hidden_solutions(html_dir):
    html = read(html_dir, "book/notation.html")
    assert 'class="admonition exercise' in html or "exercise admonition" in html, (
        "no exercise rendered"
    )
    assert re.search(r'class="[^"]*solution[^"]*dropdown', html) or "toggle-hidden" in html, \
        "no collapsed (dropdown) solution rendered"


NOTEBOOK_PAGES = [p.relative_to(ROOT).with_suffix(".html") for p in toc.notebooks()]


@pytest.mark.parametrize("page", NOTEBOOK_PAGES, ids=str)
def test_notebook_pages_offer_downloads_and_no_launch(html_dir, page):
    """The download menu (.ipynb, .md source, PDF) stays; there is no public repository,
    so there is no Binder/JupyterHub/Colab launch button (README: run them with `make lab`)."""
    html = read(html_dir, page)
    assert re.search(r'href="[^"]*\.ipynb"', html) and "download" in html.lower(), \
        f"{page}: no notebook download button"
    assert "window.print()" in html, f"{page}: no PDF (print) download button"
    assert "launch-buttons" not in html and "dropdown-launch-buttons" not in html, \
        f"{page}: has a launch button menu"


def test_pytest_never_collects_the_notebook_copies_under_build(html_dir):
    """The build writes executed copies of every notebook under _build/; a
    plain `pytest --nbval` from the repository root must not pick them up."""
    import subprocess

    copies = list((ROOT / "_build").rglob("*.ipynb"))
    assert copies, "the build left no notebook copies under _build/ to guard against"
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist",
                          "-p", "no:cacheprovider", "--nbval", str(ROOT)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    collected = [line for line in out.stdout.splitlines() if "::" in line]
    assert any(line.startswith("book/") and ".ipynb::" in line for line in collected), \
        "collection from the root found no book notebooks at all"
    leaked = [line for line in collected if line.split("::")[0].split("/")[0] == "_build"]
    assert not leaked, f"pytest collected copies under _build/: {leaked[:5]}"
