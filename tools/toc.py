"""Read `_toc.yml` and list the pages of the book.

    python tools/toc.py notebooks   # every .ipynb page, one path per line
    python tools/toc.py pages       # every page (any suffix), one path per line

The test command passes the notebook list to nbval, so a notebook is tested
exactly when it is part of the book.
"""
from __future__ import annotations

import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SUFFIXES = (".ipynb", ".md")


def toc_entries(toc_path: pathlib.Path = ROOT / "_toc.yml") -> list[str]:
    """Every `file:`/`root:` entry of the table of contents, in reading order."""
    toc = yaml.safe_load(toc_path.read_text())
    out: list[str] = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                out.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(toc)
    return out


def resolve(entry: str) -> pathlib.Path | None:
    """The file an entry names (entries may omit the suffix); None if missing."""
    p = ROOT / entry
    if p.suffix in SUFFIXES and p.exists():
        return p
    for suffix in SUFFIXES:
        if p.with_suffix(suffix).exists():
            return p.with_suffix(suffix)
    return None


def pages() -> list[pathlib.Path]:
    found = [resolve(e) for e in toc_entries()]
    return [p for p in found if p is not None]


def notebooks() -> list[pathlib.Path]:
    return [p for p in pages() if p.suffix == ".ipynb"]


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "notebooks"
    if what not in ("notebooks", "pages"):
        sys.exit(f"usage: {sys.argv[0]} [notebooks|pages], got {what!r}")
    for p in notebooks() if what == "notebooks" else pages():
        print(p.relative_to(ROOT))
