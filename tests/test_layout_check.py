"""tools/layout_check.py: the verdict (always) and the in-browser measuring (with chromium).

The browser test measures a small synthetic page whose widths are known: a 400 px column with
one display equation wider than it, one that fits, a table wider than it, one long code line and
one short output. Without chromium it fails under CI=true and is skipped, visibly, elsewhere.
"""
from __future__ import annotations

import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import layout_check as lc  # noqa: E402

COLUMN_PX = 400

SYNTHETIC = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>layout test</title>
<style>
  body {{ margin: 0; font-family: monospace; }}
  article {{ width: {COLUMN_PX}px; padding: 0; }}
  mjx-container[display="true"] {{ display: block; overflow-x: auto; }}
  .scroll {{ overflow-x: auto; }}
  pre {{ overflow-x: auto; margin: 0; }}
  td {{ min-width: 80px; }}
</style></head>
<body><article class="bd-article">
  <section><h2>Wide things</h2>
  <div class="math"><mjx-container display="true" id="wide">
    <span style="display: inline-block; width: 900px">a very long equation</span>
  </mjx-container></div>
  <div class="math"><mjx-container display="true" id="narrow">
    <span style="display: inline-block; width: 100px">x = 1</span>
  </mjx-container></div>
  <div class="scroll"><table><tr>{"<td>col</td>" * 9}</tr></table></div>
  <div class="highlight"><pre>print("{"x" * 150}")</pre></div>
  <div class="cell_output"><div class="output">
    <div class="highlight"><pre>ok</pre></div>
  </div></div>
  </section>
</article></body></html>
"""


def item(kind: str, overflow: bool) -> dict:
    return {"kind": kind, "what": kind, "where": "", "overflow": overflow,
            "need": 500 if overflow else 100, "avail": 400}


def page(*items: dict, **info) -> lc.PageResult:
    base = {"viewport": lc.WINDOW_WIDTH, "page_width": 1280, "page_box": 1280,
            "math_sources": 0, "typeset": 0, "fonts_failed": []}
    return lc.PageResult("p.html", info={**base, **info}, items=list(items))


# --- the verdict, without a browser ------------------------------------------------------------

@pytest.mark.parametrize("kind", lc.STRICT_KINDS)
def test_one_overflowing_equation_or_table_fails(kind):
    passed, lines = lc.verdict([page(item(kind, True), item("code", False))])
    assert not passed
    assert any(line.startswith(f"       - {kind} 500 px in a 400 px box") for line in lines)


def test_everything_fitting_passes():
    passed, lines = lc.verdict([page(item("equation", False), item("table", False),
                                     item("code", False), item("output", False))])
    assert passed, lines
    assert lines[-1].startswith("layout check: PASS")


@pytest.mark.parametrize("n_over, n_total, passes", [
    (0, 10, True), (1, 11, True),    # 9.1% is below the limit
    (1, 10, False), (5, 10, False),  # 10% is the limit itself: fails
])
def test_code_and_output_overflow_fails_at_the_limit(n_over, n_total, passes):
    assert lc.MAX_CODE_OUTPUT_OVERFLOW == 0.10
    # split between code and output: the limit is on their sum
    items = [item("code" if k % 2 else "output", k < n_over) for k in range(n_total)]
    passed, lines = lc.verdict([page(*items)])
    assert passed is passes, lines
    assert f"code+output: {n_over} of {n_total} overflow" in "\n".join(lines)


@pytest.mark.parametrize("info, reason", [
    ({"viewport": 800}, "window is 800 px wide"),
    ({"math_sources": 3, "typeset": 0}, "MathJax did not typeset"),
    ({"page_width": 1400}, "the whole page scrolls sideways"),
    ({"fonts_failed": ["MJXZERO"]}, "MathJax fonts failed to load"),
])
def test_a_page_that_was_not_measured_as_a_reader_sees_it_fails(info, reason):
    passed, lines = lc.verdict([page(**info)])
    assert not passed
    assert any(reason in line for line in lines), lines


def test_a_page_that_did_not_load_fails():
    passed, lines = lc.verdict([lc.PageResult("p.html", error="chromium did not finish")])
    assert not passed
    assert "       - chromium did not finish" in lines


def test_instrument_adds_base_and_script():
    html = lc.instrument("<html><head><title>t</title></head><body>x</body></html>",
                         "file:///site/book/")
    assert html.startswith('<html><head><base href="file:///site/book/"><title>')
    assert html.endswith("</script></body></html>")
    with pytest.raises(ValueError, match="no <head>"):
        lc.instrument("<meta http-equiv='refresh'>", "file:///site/")


# --- the measuring, in headless Chromium ------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> str:
    found = lc.find_browser()
    if found is None:
        reason = "no chromium on PATH (apt-get install chromium): the layout check cannot run"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; .ci/run installs it")
        pytest.skip(reason)
    return found


@pytest.fixture(scope="module")
def measured(browser, tmp_path_factory) -> lc.PageResult:
    path = tmp_path_factory.mktemp("layout") / "synthetic.html"
    path.write_text(SYNTHETIC, encoding="utf-8")
    result = lc.measure_file(path, browser)
    assert result.error is None, result.error
    return result


def test_the_window_is_1280_px_wide(measured):
    assert measured.info["viewport"] == lc.WINDOW_WIDTH
    assert measured.info["column"] == COLUMN_PX


def test_measures_equations_one_overflowing_one_fitting(measured):
    eqs = [i for i in measured.items if i["kind"] == "equation"]
    assert [i["overflow"] for i in eqs] == [True, False]
    assert eqs[0]["need"] >= 900 and eqs[0]["avail"] == COLUMN_PX
    assert eqs[0]["where"] == "Wide things"


def test_measures_the_table_as_overflowing(measured):
    (table,) = [i for i in measured.items if i["kind"] == "table"]
    assert table["overflow"] and table["need"] >= 9 * 80 > table["avail"] == COLUMN_PX
    assert table["what"].startswith("table (9 columns)")


def test_counts_code_and_output_once_each(measured):
    assert measured.count("code") == (1, 1)  # the 150-character line overflows
    assert measured.count("output") == (0, 1)  # the output pre also sits in div.highlight


def test_the_synthetic_page_fails_the_check(measured):
    passed, lines = lc.verdict([measured])
    assert not passed
    problems = lc.page_problems(measured)
    assert len(problems) == 2, problems  # the wide equation and the table
