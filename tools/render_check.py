"""Open built pages in headless Chromium with the network cut off and check that
MathJax typeset their math (on demand: `make render-check`; needs `chromium`).

tests/site/test_offline_math.py proves statically that every page loads MathJax
from the site itself; this script shows it in a real browser.
"""
from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         # every network request goes to a closed local port: nothing can load from outside
         "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
         "--virtual-time-budget=10000"]


def typeset_count(page: pathlib.Path) -> int:
    browser = (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )
    if browser is None:
        sys.exit("render_check: no chromium on PATH (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [browser, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()]
        dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    return dom.count("<mjx-container")


if __name__ == "__main__":
    pages = [HTML / p for p in (sys.argv[1:] or ["book/intro.html", "book/notation.html"])]
    failed = False
    for page in pages:
        n = typeset_count(page)
        print(f"{page.relative_to(HTML)}: {n} formulas typeset offline")
        failed |= n == 0
    sys.exit(1 if failed else 0)
