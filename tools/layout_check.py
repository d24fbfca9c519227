"""Nothing on a page is cut off at 1280 px: measure the built site in headless Chromium.

Every page under _build/html is opened in headless Chromium in a 1280 px wide window with the
network cut off. A script added to a temporary copy of the page waits until MathJax has typeset
(`MathJax.startup.promise`), opens every dropdown (solutions, hidden inputs), and then measures:

- every display equation (`mjx-container[display="true"]`) and every table: FAIL if one is wider
  than its box (its own scrollWidth > clientWidth, or that of its scroll container, or its right
  edge past the article column);
- every code block (`div.highlight pre`) and every cell output (`.cell_output pre`,
  `.output pre`): REPORTED as counts per page; FAIL only if, over the whole site, the share of
  code and output blocks that overflow reaches MAX_CODE_OUTPUT_OVERFLOW;
- that MathJax typeset the page's math at all (it is served from the site itself, offline).

The script writes its result as base64 JSON into the DOM, which `chromium --dump-dom` prints.

    python tools/layout_check.py                 every page of _build/html
    python tools/layout_check.py book/bptt.html  some pages (paths relative to _build/html)
    python tools/layout_check.py -v              also list each code/output block that overflows
    python tools/layout_check.py --json out.json also write every measurement
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"

WINDOW_WIDTH = 1280  # px: the window the issue measures at
WINDOW_HEIGHT = 900  # px
TOLERANCE_PX = 1  # sub-pixel rounding is not an overflow
MAX_CODE_OUTPUT_OVERFLOW = 0.10  # FAIL when this share (or more) of code+output blocks overflow
VIRTUAL_TIME_MS = 20_000  # the page's own clock: loading, typesetting, measuring
PAGE_TIMEOUT_S = 90  # wall clock per page; a hung page is killed and reported as a failure
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads"}
BROWSERS = ("chromium", "chromium-browser")
KINDS = ("equation", "table", "code", "output")
STRICT_KINDS = ("equation", "table")  # any overflow of these fails the check

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--allow-file-access-from-files",
         # every network request goes to a closed local port: nothing can load from outside
         "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
         f"--window-size={WINDOW_WIDTH},{WINDOW_HEIGHT}",
         f"--virtual-time-budget={VIRTUAL_TIME_MS}"]

RESULT = re.compile(r'id="layout-check-result"[^>]*?data-json="([A-Za-z0-9+/=]*)"')
STAGE = re.compile(r'data-layout-stage="(\w+)"')  # how far the script got

# Runs in the page. Measures after MathJax and the fonts are ready, with every dropdown open.
MEASURE_JS = r"""
(function () {
  const TOL = %(tol)d;
  const SELECTORS = {
    equation: 'mjx-container[display="true"]',
    table: 'table',
    code: 'div.highlight pre',
    output: '.cell_output pre, .output pre',
  };
  function finish(result) {
    const div = document.createElement('div');
    div.id = 'layout-check-result';
    div.hidden = true;
    const json = JSON.stringify(result);
    div.setAttribute('data-json', btoa(unescape(encodeURIComponent(json))));
    document.body.appendChild(div);
  }
  function short(text, n) {
    text = (text || '').replace(/\s+/g, ' ').trim();
    return text.length > n ? text.slice(0, n - 1) + '…' : text;
  }
  function section(el) {
    const s = el.closest('section');
    const h = s && s.querySelector('h1, h2, h3, h4');
    return h ? short(h.textContent.replace(/[#¶]/g, ''), 50) : '';
  }
  function tex(el) {
    try {
      const items = MathJax.startup.document.getMathItemsWithin(el);
      return items.length ? items[0].math : '';
    } catch (e) { return ''; }
  }
  function describe(kind, el) {
    if (kind === 'equation') {
      const wrap = el.closest('div.math');
      const no = wrap && wrap.querySelector('.eqno');
      const num = no ? no.cloneNode(true) : null;
      if (num) num.querySelectorAll('a.headerlink').forEach(a => a.remove());
      const name = num ? 'equation ' + short(num.textContent, 12) : 'unnumbered equation';
      return name + ': ' + short(tex(el), 70);
    }
    if (kind === 'table') {
      const cap = el.querySelector('caption');
      const row = el.querySelector('tr');
      const cols = row ? row.children.length : 0;
      const text = cap ? cap.textContent : (row ? row.textContent : '');
      return 'table (' + cols + ' columns): ' + short(text, 60);
    }
    const line = (el.textContent || '').split('\n').find(l => l.trim()) || '';
    return short(line, 70);
  }
  function scrollBox(el, column) {
    // the element itself or its nearest ancestor inside the column that clips or scrolls
    for (let e = el; e && e !== column && e !== document.body; e = e.parentElement) {
      if (getComputedStyle(e).overflowX !== 'visible') return e;
    }
    return null;
  }
  function measure(kind, el, column, colRight) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return null;  // not rendered (display: none)
    const box = scrollBox(el, column);
    const own = el.scrollWidth > el.clientWidth + TOL && el.clientWidth > 0;
    const clipped = box !== null && box.scrollWidth > box.clientWidth + TOL;
    const past = r.right > colRight + TOL;
    const need = Math.max(el.scrollWidth, Math.ceil(r.width), box ? box.scrollWidth : 0);
    const avail = box ? box.clientWidth : Math.floor(colRight - r.left);
    const m = {kind: kind, what: describe(kind, el), where: section(el),
               overflow: own || clipped || past, need: need, avail: avail};
    if (kind === 'code' || kind === 'output') {  // the longest line, in characters
      m.columns = Math.max(...(el.textContent || '').split('\n').map(l => [...l].length));
    }
    return m;
  }
  // how far it got, shown if it does not finish
  function stage(name) { document.documentElement.setAttribute('data-layout-stage', name); }
  async function run() {
    stage('start');
    if (document.readyState !== 'complete') {
      await new Promise(r => window.addEventListener('load', r));
    }
    stage('loaded');
    let mathjax = 'absent';
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      await MathJax.startup.promise;
      mathjax = 'typeset';
    }
    stage('typeset');
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
    document.querySelectorAll('.toggle-details__container, .toggle-details')
      .forEach(e => { e.style.display = ''; });
    await document.fonts.ready;
    stage('fonts');
    // no requestAnimationFrame: headless Chromium may not draw frames; reading a size lays out
    await new Promise(r => setTimeout(r, 100));
    void document.body.offsetHeight;
    stage('measuring');
    const column = document.querySelector('article.bd-article') ||
      document.querySelector('main') || document.body;
    const cs = getComputedStyle(column);
    const colRight = column.getBoundingClientRect().right - parseFloat(cs.paddingRight || '0');
    const seen = new Set();
    const items = [];
    for (const kind of ['equation', 'table', 'output', 'code']) {
      for (const el of column.querySelectorAll(SELECTORS[kind])) {
        if (seen.has(el)) continue;
        seen.add(el);
        if (kind === 'table' && el.closest('div.highlight, mjx-container')) continue;
        const m = measure(kind, el, column, colRight);
        if (m) items.push(m);
      }
    }
    const fonts = [...document.fonts].filter(f => /MJX/.test(f.family));
    finish({
      viewport: window.innerWidth,
      page_width: document.documentElement.scrollWidth,
      page_box: document.documentElement.clientWidth,
      column: Math.round(column.getBoundingClientRect().width),
      mathjax: mathjax,
      math_sources: document.querySelectorAll('.math').length,
      typeset: document.querySelectorAll('mjx-container').length,
      fonts_failed: fonts.filter(f => f.status === 'error').map(f => f.family),
      items: items,
    });
  }
  run().catch(e => finish({error: String((e && e.stack) || e)}));
})();
""" % {"tol": TOLERANCE_PX}


@dataclass
class PageResult:
    page: str
    error: str | None = None
    info: dict = field(default_factory=dict)
    items: list[dict] = field(default_factory=list)

    def count(self, kind: str) -> tuple[int, int]:
        """(overflowing, total) blocks of one kind."""
        of_kind = [i for i in self.items if i["kind"] == kind]
        return sum(i["overflow"] for i in of_kind), len(of_kind)


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def instrument(html: str, base_uri: str) -> str:
    """The page with a <base> pointing at its built directory and the measuring script."""
    head = re.search(r"<head[^>]*>", html, re.I)
    if head is None:
        raise ValueError("page has no <head>")
    html = html[:head.end()] + f'<base href="{base_uri}">' + html[head.end():]
    script = f"<script>{MEASURE_JS}</script>"
    at = html.lower().rfind("</body>")
    return html[:at] + script + html[at:] if at >= 0 else html + script


def _run_browser(browser: str, uri: str, timeout: float) -> tuple[str, str | None]:
    """The DOM chromium dumps, or an error. The whole process group dies on timeout."""
    with tempfile.TemporaryDirectory(prefix="layout-profile-") as profile:
        cmd = [browser, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", uri]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return "", f"chromium did not finish within {timeout:.0f} s"
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    return out, None


def measure_file(page: pathlib.Path, browser: str, name: str | None = None,
                 timeout: float = PAGE_TIMEOUT_S) -> PageResult:
    """Open one HTML file (in a temporary instrumented copy) and measure it.

    A page that fails to load or measure is tried once more (a busy machine); the second
    error is the result.
    """
    result = _measure_once(page, browser, name, timeout)
    return _measure_once(page, browser, name, timeout) if result.error else result


def _measure_once(page: pathlib.Path, browser: str, name: str | None,
                  timeout: float) -> PageResult:
    name = name or page.name
    html = page.read_text(encoding="utf-8")
    base = page.parent.resolve().as_uri() + "/"
    with tempfile.TemporaryDirectory(prefix="layout-page-") as tmp:
        copy = pathlib.Path(tmp) / page.name
        copy.write_text(instrument(html, base), encoding="utf-8")
        dom, error = _run_browser(browser, copy.as_uri(), timeout)
    if error:
        return PageResult(name, error=error)
    found = RESULT.search(dom)
    if found is None:
        stage = STAGE.search(dom)
        return PageResult(name, error="the measuring script did not finish (virtual time "
                          f"budget {VIRTUAL_TIME_MS} ms; it got to: "
                          f"{stage.group(1) if stage else 'not started'})")
    data = json.loads(base64.b64decode(found.group(1)).decode("utf-8"))
    if "error" in data:
        return PageResult(name, error=f"the measuring script failed: {data['error']}")
    items = data.pop("items")
    return PageResult(name, info=data, items=items)


def page_problems(r: PageResult) -> list[str]:
    """Reasons this page fails on its own (not the site-wide code/output share)."""
    if r.error:
        return [r.error]
    problems = []
    if r.info.get("viewport") != WINDOW_WIDTH:
        problems.append(f"window is {r.info.get('viewport')} px wide, not {WINDOW_WIDTH}")
    if r.info.get("math_sources", 0) and not r.info.get("typeset", 0):
        problems.append(f"MathJax did not typeset ({r.info.get('math_sources')} math elements, "
                        f"MathJax {r.info.get('mathjax')})")
    if r.info.get("page_width", 0) > r.info.get("page_box", 0) + TOLERANCE_PX:
        problems.append(f"the whole page scrolls sideways: {r.info['page_width']} px "
                        f"in a {r.info['page_box']} px window")
    if r.info.get("fonts_failed"):
        problems.append(f"MathJax fonts failed to load: {r.info['fonts_failed']}")
    for i in r.items:
        if i["kind"] in STRICT_KINDS and i["overflow"]:
            where = f" [{i['where']}]" if i["where"] else ""
            problems.append(f"{i['kind']} {i['need']} px in a {i['avail']} px box{where}: "
                            f"{i['what']}")
    return problems


def percent(n: int, total: int) -> str:
    return f"{100 * n / total:.0f}%" if total else "-"


def verdict(results: list[PageResult], verbose: bool = False) -> tuple[bool, list[str]]:
    """(passed, report lines) for all pages; verbose lists each overflowing code/output block."""
    lines = []
    failed = False
    totals = {k: [0, 0] for k in KINDS}
    for r in results:
        counts = {k: r.count(k) for k in KINDS}
        for k in KINDS:
            totals[k][0] += counts[k][0]
            totals[k][1] += counts[k][1]
        summary = "  ".join(f"{k} {n}/{t}" + (f" ({percent(n, t)})" if t else "")
                            for k, (n, t) in counts.items())
        problems = page_problems(r)
        failed |= bool(problems)
        lines.append(f"{'FAIL' if problems else 'ok  '} {r.page}: overflowing {summary}")
        lines.extend(f"       - {p}" for p in problems)
        if verbose:
            lines.extend(f"       . {i['kind']} {i['columns']} columns, {i['need']} px in a "
                         f"{i['avail']} px box: {i['what']}"
                         for i in r.items if i["kind"] not in STRICT_KINDS and i["overflow"])
    co_n = totals["code"][0] + totals["output"][0]
    co_t = totals["code"][1] + totals["output"][1]
    co_fail = co_t > 0 and co_n / co_t >= MAX_CODE_OUTPUT_OVERFLOW
    failed |= co_fail
    lines.append("")
    for k in KINDS:
        n, t = totals[k]
        lines.append(f"{k:>9}: {n} of {t} overflow ({percent(n, t)})")
    lines.append(f"code+output: {co_n} of {co_t} overflow ({percent(co_n, co_t)}); "
                 f"limit {MAX_CODE_OUTPUT_OVERFLOW:.0%}: {'FAIL' if co_fail else 'ok'}")
    lines.append(f"layout check: {'FAIL' if failed else 'PASS'} ({len(results)} pages at "
                 f"{WINDOW_WIDTH} px; any equation or table overflow fails)")
    return not failed, lines


REDIRECT = re.compile(r'<meta http-equiv="refresh"', re.I)


def site_pages(html_dir: pathlib.Path = HTML) -> list[pathlib.Path]:
    """Every built page, without theme assets and redirect stubs (index.html)."""
    return sorted(p for p in html_dir.rglob("*.html")
                  if not SKIP_DIRS.intersection(p.relative_to(html_dir).parts)
                  and not REDIRECT.search(p.read_text(encoding="utf-8")[:2000]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="pages relative to _build/html (default: all)")
    parser.add_argument("--json", type=pathlib.Path, help="write every measurement here")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also list every code and output block that overflows")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")),
                        help="browsers at once (default: $JOBS or 2)")
    args = parser.parse_args(argv)
    browser = find_browser()
    if browser is None:
        print("layout check: no chromium on PATH (apt-get install chromium)", file=sys.stderr)
        return 2
    if not (HTML / "index.html").exists():
        print("layout check: no built site at _build/html (make build-strict)", file=sys.stderr)
        return 2
    pages = [HTML / p for p in args.pages] if args.pages else site_pages()
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda p: measure_file(p, browser, str(p.relative_to(HTML))),
                                pages))
    passed, lines = verdict(results, args.verbose)
    print("\n".join(lines))
    print(f"layout check took {time.monotonic() - start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=1), encoding="utf-8")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
