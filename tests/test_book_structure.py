"""The book itself: the table of contents, the pages and the stored notebook outputs."""
from __future__ import annotations

import json
import pathlib
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import toc  # noqa: E402

BOOK = ROOT / "book"
PAGE_SUFFIXES = {".md", ".ipynb"}


def book_pages() -> list[pathlib.Path]:
    return sorted(p for p in BOOK.rglob("*")
                  if p.suffix in PAGE_SUFFIXES
                  and not {"_build", ".ipynb_checkpoints"} & set(p.parts))


def test_toc_parses_and_has_root():
    data = yaml.safe_load((ROOT / "_toc.yml").read_text())
    assert data["format"] == "jb-book"
    assert data["root"].startswith("book/")


def test_every_toc_entry_exists():
    missing = [e for e in toc.toc_entries() if toc.resolve(e) is None]
    assert not missing, f"_toc.yml names pages that do not exist: {missing}"


def test_toc_entries_are_unique():
    entries = toc.toc_entries()
    dupes = sorted({e for e in entries if entries.count(e) > 1})
    assert not dupes, f"_toc.yml lists these pages more than once: {dupes}"


def test_every_page_is_in_the_toc():
    listed = {toc.resolve(e) for e in toc.toc_entries()}
    orphans = [str(p.relative_to(ROOT)) for p in book_pages() if p not in listed]
    assert not orphans, f"pages under book/ missing from _toc.yml: {orphans}"


def test_no_page_exists_twice_with_different_suffixes():
    stems = [p.with_suffix("") for p in book_pages()]
    dupes = sorted({str(s) for s in stems if stems.count(s) > 1})
    assert not dupes, f"pages with both .md and .ipynb: {dupes}"


NOTEBOOKS = toc.notebooks()


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_stored_outputs_and_no_errors(nb_path):
    nb = json.loads(nb_path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert code, f"{nb_path.name}: no code cells"
    unexecuted = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not unexecuted, (f"{nb_path.name}: code cells {unexecuted} have no stored outputs; "
                            f"run `make execute NB={nb_path.relative_to(ROOT)}`")
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{nb_path.name}: execution counts {counts} are not one clean top-to-bottom run")
    errors = [i for i, c in enumerate(code)
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{nb_path.name}: code cells {errors} stored an error"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_imports_lstm_ref_without_path_hacks(nb_path):
    source = "\n".join("".join(c["source"]) for c in json.loads(nb_path.read_text())["cells"]
                       if c["cell_type"] == "code")
    assert "sys.path" not in source, f"{nb_path.name} manipulates sys.path; import lstm_ref instead"
    assert "np.random.seed" not in source, f"{nb_path.name} uses the global seed"


def test_bibliography_has_the_required_entries():
    bib = (ROOT / "references.bib").read_text()
    for key in ("src000", "src001", "src002", "src003", "src004",
                "hochreiter1997", "gers2000", "graves2012", "greff2017"):
        assert "{" + key + "," in bib, f"references.bib lacks {key}"


def _code_sources(nb_path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(nb_path.read_text())["cells"]
            if c["cell_type"] == "code"]


def _markdown_sources(nb_path) -> list[str]:
    if nb_path.suffix == ".md":
        return [nb_path.read_text()]
    return ["".join(c["source"]) for c in json.loads(nb_path.read_text())["cells"]
            if c["cell_type"] == "markdown"]


def _stored_text(nb_path) -> str:
    out = []
    for c in json.loads(nb_path.read_text())["cells"]:
        for o in c.get("outputs", []):
            out.append("".join(o.get("text", "")))
            out.append("".join(o.get("data", {}).get("text/plain", "")))
    return "\n".join(out)


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_relative_error_is_printed_under_its_own_name(nb_path):
    # lstm_ref has two relative errors (norm_rel_error, max_rel_error); a reader must never
    # see two different numbers both labelled rel_err.
    import re

    bare = re.compile(r"(?<![A-Za-z_])rel_err\s*=")
    shown = [ln for ln in _stored_text(nb_path).splitlines() if bare.search(ln)]
    shown += [ln for src in _code_sources(nb_path) for ln in src.splitlines() if bare.search(ln)]
    assert not shown, (
        f"{nb_path.name} prints a bare rel_err= (use norm_rel_err / max_rel_err): {shown[:3]}"
    )


def _pages_with_code():
    return NOTEBOOKS + [p for p in book_pages() if p.suffix == ".md"]


@pytest.mark.parametrize("page", _pages_with_code(), ids=lambda p: p.name)
def test_one_import_style(page):
    # AUTHORING.md: packages by their full names, never aliased; the checkers come from
    # lstm_ref.exercises, the engine from lstm_ref.verify.
    import re

    if page.suffix == ".md":
        blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    else:
        blocks = _code_sources(page)
    lines = [ln.strip() for src in blocks for ln in src.splitlines()]
    aliased = [ln for ln in lines
               if re.match(r"(import lstm_ref|from lstm_ref\S* import) .* as ", ln)
               or re.match(r"import lstm_ref\S* as ", ln)]
    assert not aliased, f"{page.name}: aliased imports {aliased}"
    old = [ln for ln in lines if "lstm_ref.verify.exercises" in ln or re.search(r"\b[LV]\.\w", ln)]
    assert not old, f"{page.name}: old import style {old[:3]}"


def test_the_fused_code_is_shown_only_in_the_performance_chapter():
    # Readers read the plain loop (lstm_ref.sequence); the fused path is the performance subject.
    shown_in = sorted(p.name for p in _pages_with_code()
                      if any("lstm_ref/fused.py" in src for src in _markdown_sources(p)))
    assert shown_in == ["performance.ipynb"], shown_in
    bptt = "\n".join(_markdown_sources(BOOK / "bptt.ipynb"))
    assert "```{literalinclude} ../lstm_ref/sequence.py\n:pyobject: lstm_backward" in bptt


def _literalincludes():
    import re

    found = []
    for page in _pages_with_code():
        for src in _markdown_sources(page):
            for path, obj in re.findall(r"```\{literalinclude\} (\S+)\n:pyobject: (\S+)", src):
                found.append((page.name, (page.parent / path).resolve(), obj))
    return found


@pytest.mark.parametrize("page, path, obj", _literalincludes(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_library_code_shown_on_a_page_fits_88_columns(page, path, obj):
    # AUTHORING.md: code a page shows stays within 88 columns (the column at 1280 px).
    import ast

    source = path.read_text()
    node = next(n for n in ast.walk(ast.parse(source))
                if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == obj)
    lines = source.splitlines()[node.lineno - 1 - len(node.decorator_list):node.end_lineno]
    wide = [f"{path.name}:{node.lineno + k}: {len(ln)} columns" for k, ln in enumerate(lines)
            if len(ln) > 88]
    assert not wide, f"{page} shows {obj} with lines over 88 columns: {wide}"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_what_the_site_hides_is_collapsed_in_jupyterlab(nb_path):
    # tools/execute_notebooks.py sets these; a notebook saved by hand may have lost them.
    import nbformat
    from execute_notebooks import collapse_for_jupyterlab

    nb = nbformat.read(nb_path, as_version=4)
    stored = [c.metadata.get("jupyter", {}) for c in nb.cells]
    collapse_for_jupyterlab(nb)
    expected = [c.metadata.get("jupyter", {}) for c in nb.cells]
    assert stored == expected, (f"{nb_path.name}: hide-input cells not collapsed for JupyterLab; "
                                f"run `make execute NB={nb_path.relative_to(ROOT)}`")


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_solutions_cells_hide_their_outputs_too(nb_path):
    # A solution's code cells follow its {solution} dropdown; their outputs (a passing
    # checker line, a diagnosed wrong attempt) are part of the answer, so the whole cell is
    # behind a toggle (hide-cell) or not on the page at all (remove-cell).
    cells = json.loads(nb_path.read_text())["cells"]
    in_solution, shown = False, []
    for k, c in enumerate(cells):
        if c["cell_type"] == "markdown":
            in_solution = "{solution}" in "".join(c["source"])
        elif in_solution and not {"hide-cell", "remove-cell"} & set(c["metadata"].get("tags", [])):
            shown.append(k)
    assert not shown, f"{nb_path.name}: solution cells {shown} are not tagged hide-cell"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_your_turn_cells_use_the_shared_not_attempted_line(nb_path):
    # a cell checking a skeleton its own way runs the check in exercises.your_turn,
    # not in a hand-written try/except that prints its own copy of the checkers' line
    code = "\n".join(_code_sources(nb_path))
    assert "except NotImplementedError" not in code, nb_path.name


def source_check_boxes(nb_path):
    """(cell index, title, text) of every "Source check" admonition of a notebook."""
    import re
    out = []
    for k, c in enumerate(json.loads(nb_path.read_text())["cells"]):
        if c["cell_type"] != "markdown":
            continue
        text = "".join(c["source"])
        for m in re.finditer(r"(`{3,})\{admonition\} (Source check[^\n]*)", text):
            end = text.find("\n" + m.group(1), m.end())
            out.append((k, m.group(2), text[m.start():end if end >= 0 else len(text)]))
    return out


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_source_check_links_to_its_errata_rows(nb_path):
    # links both ways: a chapter that checks a source's formula points at that formula's
    # row in the errata chapters (the build, -n, proves every linked label exists)
    unlinked = [f"cell {k}: {title}" for k, title, text in source_check_boxes(nb_path)
                if "<errata-" not in text]
    assert not unlinked, f"{nb_path.name}: Source check boxes without an errata link: {unlinked}"
