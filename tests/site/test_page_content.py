"""What a reader sees on every built page: no autodoc noise, no dead repository or launch
links, each script once, one output box per print (issue #10, parts 4 and 5)."""
from __future__ import annotations

import html as htmllib
import pathlib
import re
from collections import Counter

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
PAGES = sorted(
    p.relative_to(HTML) for p in HTML.rglob("*.html")
    if not p.relative_to(HTML).parts[0].startswith(("_static", "_sources", "_images"))
) if HTML.is_dir() else []

# Text a reader must never meet, after tags are stripped and entities decoded.
FORBIDDEN_TEXT = {
    "Alias for field number": "autodoc's generated NamedTuple field docstring",
    "<class 'numpy.": "a default shown as its repr instead of as written",
}
# In the raw HTML: the placeholder repository (it does not exist) and launch services.
FORBIDDEN_HTML = {
    "lstm-backprop-course/lstm-backprop": "the placeholder repository URL",
    "mybinder.org": "a Binder launch link",
    "colab.research.google.com": "a Colab launch link",
    "dropdown-launch-buttons": "the launch-button menu",
    "btn-source-repository-button": "the repository button",
}
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.I | re.S)
# one cell's outputs: up to the next cell, section or the end of the article
OUTPUT_AREA = re.compile(
    r'<div class="cell_output docutils container">(.*?)(?=<div class="cell|<section|</main>)', re.S)
STREAM_BOX = re.compile(r'<div class="output (stream|stderr)\b')


def text_of(raw: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", "", raw))


def test_there_are_pages_to_check(html_dir):
    assert len(PAGES) >= 10, f"only {len(PAGES)} HTML pages found under {html_dir}"
    assert pathlib.Path("book/api.html") in PAGES


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_page_has_no_autodoc_noise_dead_repository_or_launch_link(html_dir, page):
    raw = (html_dir / page).read_text(encoding="utf-8")
    text = text_of(raw)
    found = [why for needle, why in FORBIDDEN_TEXT.items() if needle in text]
    found += [why for needle, why in FORBIDDEN_HTML.items() if needle in raw]
    assert not found, f"{page} shows: {', '.join(found)}"


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_page_includes_each_script_once(html_dir, page):
    """A repeated inline script with a `const` is a browser SyntaxError ("Identifier
    'THEBE_JS_URL' has already been declared"); a repeated src loads twice."""
    raw = (html_dir / page).read_text(encoding="utf-8")
    scripts = Counter((attrs.strip(), body.strip()) for attrs, body in SCRIPT.findall(raw))
    repeated = [f"<script {a}>{b[:60]}" for (a, b), n in scripts.items() if n > 1]
    assert not repeated, f"{page} repeats scripts: {repeated}"
    assert raw.count("const THEBE_JS_URL") <= 1, f"{page} declares THEBE_JS_URL twice"


def test_api_page_documents_the_namedtuple_fields_and_defaults(html_dir):
    text = text_of((html_dir / "book" / "api.html").read_text(encoding="utf-8"))
    # the fields' `#:` comments are shown (StepCache.f: "(B, H) forget gate")
    assert "forget gate" in text, "StepCache's field comments are missing from the API page"
    assert "dtype=np.float64" in text, "defaults are not shown as written in the source"


def test_one_print_is_one_output_box(html_dir):
    """nb_merge_streams: everything a cell writes to stdout is one box (stderr another)."""
    split, areas = [], 0
    for page in sorted((html_dir / "book").glob("*.html")):
        for area in OUTPUT_AREA.findall(page.read_text(encoding="utf-8")):
            areas += 1
            if any(n > 1 for n in Counter(STREAM_BOX.findall(area)).values()):
                split.append(page.name)
    assert areas > 20, f"found only {areas} cell outputs: has the page markup changed?"
    assert not split, f"stream outputs split into several boxes on: {sorted(set(split))}"
