"""Build the training text of the character-level language model from the course's own prose.

    python tools/make_charlm_text.py            # writes book/data/text/course_prose.txt

The text is a fixed snapshot, committed next to the book; this script documents how it
was made (the tests never run it, and running it again on a later book gives a
different text). What it keeps, page by page in the reading order of ``PAGES``:

* the markdown cells of each notebook, and the body of each ``.md`` page; code cells,
  their outputs and MyST front matter are dropped;
* inline math (``$...$``), lists, tables and emphasis, as written;

and what it drops from that markdown:

* display math (``$$ ... $$`` blocks, with their ``(label)``);
* MyST directive fences and their option lines (```` ```{exercise} ````, ``:label:``,
  ``:class:``, ...), the ``literalinclude`` blocks whole, and target lines ``(name)=``;
* HTML comments.

Runs of blank lines become one blank line; every page ends with a blank line. The
result is UTF-8 text of 100-300 kB (the script refuses anything else).
"""
from __future__ import annotations

import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "book" / "data" / "text" / "course_prose.txt"

#: The chapters whose prose is kept, in reading order (the errata and reference pages,
#: mostly generated tables, are left out).
PAGES = ("intro.md", "notation.md", "forward.ipynb", "matrix_calculus.ipynb",
         "losses.ipynb", "cell_backward.ipynb", "bptt.ipynb", "split_weights.ipynb",
         "peepholes.ipynb", "lstm1997.ipynb", "family.ipynb", "stacked_lm.ipynb",
         "training.ipynb", "performance.ipynb")

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
TARGET = re.compile(r"^\s*\([\w.-]+\)=\s*$")
OPTION = re.compile(r"^\s*:[\w-]+:")


def markdown_of(path: pathlib.Path) -> list[str]:
    """The markdown sources of one page: the markdown cells, or the page's body."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    text = path.read_text(encoding="utf-8")
    if text.startswith("---\n"):  # MyST front matter
        text = text.split("\n---\n", 1)[1]
    return [text]


def clean(markdown: str) -> str:
    """Drop display math, directive fences and options, literalincludes, targets, comments."""
    markdown = re.sub(r"<!--.*?-->", "", markdown, flags=re.S)
    kept, in_math, skip_block = [], False, None
    for line in markdown.splitlines():
        stripped = line.strip()
        if in_math:
            in_math = not stripped.startswith("$$")
            continue
        if stripped.startswith("$$"):
            in_math = not (stripped.count("$$") >= 2)  # a one-line display ends at once
            continue
        fence = FENCE.match(line)
        if skip_block is not None:  # inside a literalinclude / code block: drop it whole
            if fence and fence.group(1) == skip_block and stripped == skip_block:
                skip_block = None
            continue
        if fence:
            rest = stripped[len(fence.group(1)):]
            if rest.startswith("{literalinclude}") or (rest and not rest.startswith("{")):
                skip_block = fence.group(1)  # an included or fenced code block
            continue  # a directive's opening or closing fence
        if TARGET.match(line) or OPTION.match(line):
            continue
        kept.append(line.rstrip())
    text = "\n".join(kept)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n\n"


def build() -> str:
    return "".join(clean(md) for page in PAGES for md in markdown_of(ROOT / "book" / page))


if __name__ == "__main__":
    text = build()
    size = len(text.encode("utf-8"))
    if not 100_000 <= size <= 300_000:
        raise SystemExit(f"course_prose.txt: expected 100-300 kB, got {size} bytes")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {size} bytes, {len(text)} characters, "
          f"{len(set(text))} distinct")
