"""Screenshots and PDFs by headless Chromium: Debian's browser, driven by Playwright, with the network shut.

A screenshot shows the stored capture, not the live page: every request the
page makes is answered from the archive (``Resources``: the capture itself,
and any other URL the archive holds a capture of) or aborted, and the browser
is also pointed at a proxy on a closed loopback port, so a request that
escaped the routing would fail rather than reach the site. Scripts do not run:
the archive reads its text from the HTML as served, without scripts, and a
script would show what it computes today rather than what was stored.

Playwright (a dependency) drives ``evidence.chromium`` (Debian's
``chromium``), never a browser it downloads; without the browser,
``Renderer`` raises ``EvidenceError`` saying what to install.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from types import TracebackType
from typing import Any

from series_archiver.errors import EvidenceError

__all__ = ["Renderer", "Shot", "Stored", "Resources", "CHROMIUM_ARGS", "VIEWPORT"]

log = logging.getLogger("series_archiver")

VIEWPORT = {"width": 1280, "height": 900}
# A closed port: anything that slipped past the routing would fail here, not reach the network.
_NO_NETWORK = "http://127.0.0.1:9"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--font-render-hinting=none",
    f"--proxy-server={_NO_NETWORK}",
    "--proxy-bypass-list=<-loopback>",
)
INSTALL_HINT = "install Debian's chromium and CJK fonts (apt-get install chromium fonts-noto-cjk), or set evidence.chromium; Playwright drives it"


@dataclass(frozen=True)
class Stored:
    """Bytes the archive holds for a URL, as the page is given them."""

    status: int
    content_type: str
    body: bytes


# Looks a URL up in the archive: its stored bytes, or None (the request is aborted).
Resources = Callable[[str], Stored | None]


@dataclass(frozen=True)
class Shot:
    png: bytes
    width: int
    height: int


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise EvidenceError("screenshot", "Chromium did not return a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


class Renderer:
    """``with Renderer(chromium) as r: r.screenshot(url, resources)``: one browser for many pages."""

    def __init__(self, chromium: Path, *, timeout_seconds: float = 30.0) -> None:
        self.chromium = chromium
        self.timeout_ms = timeout_seconds * 1000
        self._playwright: Any = None
        self._browser: Any = None

    @property
    def name(self) -> str:
        """The renderer as recorded with each screenshot: browser and driver versions, viewport, scripts off."""
        try:
            driver = package_version("playwright")
        except PackageNotFoundError:
            driver = "?"
        version = self._browser.version if self._browser is not None else "?"
        return f"chromium {version} (playwright {driver}); viewport {VIEWPORT['width']}px; scripts off; network shut"

    def __enter__(self) -> Renderer:
        if not self.chromium.exists():
            raise EvidenceError(str(self.chromium), f"no Chromium here (evidence.chromium); {INSTALL_HINT}")
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise EvidenceError("playwright", f"is not installed; {INSTALL_HINT}") from None
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=str(self.chromium), args=list(CHROMIUM_ARGS))
        except Exception as exc:
            self._playwright.stop()
            raise EvidenceError(str(self.chromium), f"Chromium did not start ({exc})") from None
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()

    def _page(self, resources: Resources, *, scripts: bool = False) -> tuple[Any, Any]:
        context = self._browser.new_context(viewport=VIEWPORT, java_script_enabled=scripts, service_workers="block", device_scale_factor=1)

        def answer(route: Any) -> None:
            stored = resources(route.request.url)
            if stored is None:
                route.abort("blockedbyclient")
            else:
                route.fulfill(status=stored.status, headers={"Content-Type": stored.content_type}, body=stored.body)

        context.route("**/*", answer)
        page = context.new_page()
        page.set_default_timeout(self.timeout_ms)
        return context, page

    def screenshot(self, url: str, resources: Resources) -> Shot:
        """A full-page PNG of ``url`` as the archive stores it."""
        context, page = self._page(resources)
        try:
            page.goto(url, wait_until="load")
            png = page.screenshot(full_page=True, type="png", animations="disabled")
        except EvidenceError:
            raise
        except Exception as exc:
            raise EvidenceError(url, f"the screenshot failed ({type(exc).__name__}: {exc})") from None
        finally:
            context.close()
        width, height = png_size(png)
        return Shot(png, width, height)

    def pdf(self, html: bytes, *, base_url: str = "https://evidence.invalid/report.html") -> bytes:
        """A PDF of an HTML page (A4, backgrounds printed), with nothing fetched."""
        context, page = self._page(lambda u: Stored(200, "text/html; charset=utf-8", html) if u == base_url else None)
        try:
            page.goto(base_url, wait_until="load")
            pdf: bytes = page.pdf(format="A4", print_background=True, margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
        except Exception as exc:
            raise EvidenceError("report.pdf", f"Chromium could not print the report ({type(exc).__name__}: {exc})") from None
        finally:
            context.close()
        return pdf
