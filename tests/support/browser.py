"""Debian's headless Chromium for the browser tests, driven by Playwright: launched once a module, or the test says why not."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# As the machine's probe starts it: without the background-networking flags Chromium keeps trying
# hosts this closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def unavailable(reason: str, how: str = "apt-get install chromium; pip install -e '.[test]'") -> None:
    """Skip for ``reason``, or fail when SA_REQUIRE_BROWSER=1 (CI installs everything the browser tests need)."""
    if os.environ.get("SA_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, but SA_REQUIRE_BROWSER=1 (install it: {how})")
    pytest.skip(reason)


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless Chromium (Playwright's Browser)."""
    if not CHROMIUM.exists():
        unavailable(f"no headless Chromium at {CHROMIUM} (Debian package `chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the `playwright` package is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
