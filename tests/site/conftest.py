"""Tests of the built website. `make test` builds it (strictly) before running these."""
from __future__ import annotations

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def html_dir() -> pathlib.Path:
    if not (HTML / "index.html").exists():
        pytest.fail("no built site at _build/html; run `make build-strict` (make test does) first")
    return HTML
