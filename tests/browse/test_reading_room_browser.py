"""The reading room in a real browser, 1280 and 390 px wide: Debian's Chromium, driven by Playwright.

``series-archiver browse`` and plain ``datasette`` run as subprocesses on
127.0.0.1 over the archive of test_reading_room.py (① edited twice, ④ removed
and back). From the front page, one click on an installment, on a recent edit
or on a search result opens the article with its whole current text and its
edit's diff, and nothing a reader reads is wider than the window or hidden in
a box that scrolls or clips sideways. axe-core (installed with npm by .ci/run
into .cache/axe, or where SA_AXE_CORE says) finds no serious or critical
violation on any page people read. Every page type is saved as a screenshot
at both widths, into SA_SCREENSHOTS or a temporary folder; two of them are
the README's (docs/images/).

Without /usr/bin/chromium or axe-core the tests are skipped, unless
SA_REQUIRE_BROWSER=1 (CI), when they fail.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from series_archiver.archive.layout import decode_layout
from series_archiver.demo.replica import ReplicaSite
from tests.support.browser import chromium, unavailable
from tests.support.paths import REPO
from tests.support.room import Room, build_room
from tests.support.tools import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(os.environ.get("SA_AXE_CORE", REPO / ".cache/axe/node_modules/axe-core/axe.min.js"))
WIDTHS = (1280, 390)

# Everything a reader reads that must fit: the document no wider than the window,
# and no paragraph, list item, heading, insertion or deletion inside a box that
# scrolls or clips sideways while its content is wider than it (Datasette's
# div.table-wrapper is overflow-x: auto, so the page's width alone says nothing).
FITS = """() => {
    const problems = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > innerWidth) problems.push(`the page is ${doc.scrollWidth}px wide in a ${innerWidth}px window`);
    const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + String(el.className).split(' ').join('.') : '');
    for (const el of document.querySelectorAll('p, ins, del, li, dd, h1, h2, h3, summary')) {
        if (!el.getClientRects().length) continue;  // not rendered: inside a closed <details>
        const r = el.getBoundingClientRect();
        if (r.right > innerWidth + 1 || r.left < -1) problems.push(`${name(el)} spans ${r.left}..${r.right}px`);
        for (let box = el.parentElement; box; box = box.parentElement) {
            const overflow = getComputedStyle(box).overflowX;
            if (overflow !== 'visible' && box.scrollWidth > box.clientWidth + 1) {
                problems.push(`${name(el)} is inside ${name(box)} (overflow-x: ${overflow}, ${box.scrollWidth}px of content in ${box.clientWidth}px)`);
                break;
            }
        }
    }
    return problems;
}"""
OPEN_ALL = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _start(command: list[str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    with httpx.Client(trust_env=False, timeout=2) as http:
        while True:
            try:
                if http.get(f"{base}/-/versions.json").status_code == 200:
                    return proc, base
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"{command[:3]} did not come up:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Room, str, str]]:
    """The archive, served by `series-archiver browse` and by plain `datasette`, each in its own process."""
    with ReplicaSite() as site:
        room = build_room(tmp_path_factory.mktemp("room-browser") / "series.db", site)
    logs = tmp_path_factory.mktemp("servers")
    browse, base = _start([sys.executable, "-m", "series_archiver", "browse", "--db", str(room.db)], logs / "browse.log")
    try:
        datasette = str(Path(sys.executable).with_name("datasette"))
        plain, plain_base = _start([datasette, "serve", str(room.db)], logs / "datasette.log")
        try:
            yield room, base, plain_base
        finally:
            _stop(plain)
    finally:
        _stop(browse)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ["SA_SCREENSHOTS"]) if os.environ.get("SA_SCREENSHOTS") else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(params=WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    width: int = request.param
    context = browser.new_context(viewport={"width": width, "height": 900})
    escaped: list[str] = []

    def guard(route: Any) -> None:  # nothing may leave the machine
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            escaped.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    p = context.new_page()
    dialogs: list[str] = []
    p.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield p
    context.close()
    assert not dialogs, f"a page opened a dialog: {dialogs}"
    assert not [u for u in escaped if not u.startswith(("data:", "about:"))], f"requests left 127.0.0.1: {escaped}"


def width_of(page: Any) -> int:
    return int(page.viewport_size["width"])


def assert_fits(page: Any) -> None:
    """Nothing a reader reads is cut or scrolls sideways, with every <details> closed and then open."""
    problems = page.evaluate(FITS)
    page.evaluate(OPEN_ALL)
    problems += [f"(details open) {p}" for p in page.evaluate(FITS)]
    assert not problems, f"{page.url} at {width_of(page)}px:\n" + "\n".join(problems[:20])
    page.reload()
    page.wait_for_load_state("load")


def shoot(page: Any, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}-{width_of(page)}.png"), full_page=True)


def current_blocks(room: Room, installment: int) -> list[tuple[str, str]]:
    conn = sqlite3.connect(f"file:{room.db}?mode=ro", uri=True)
    text, layout = conn.execute(
        "SELECT text, layout FROM versions WHERE article_id = ? ORDER BY version DESC LIMIT 1", (room.ids[installment],)
    ).fetchone()
    conn.close()
    return decode_layout(text, layout)


def assert_article_with_its_diff(page: Any, room: Room, installment: int) -> None:
    """The article page: its whole current text, and an edit's diff visible within the window."""
    page.wait_for_url(re.compile(rf"/series/-/article/{room.ids[installment]}(#.*)?$"))
    shown = page.locator(".sa-text").inner_text()
    for _kind, block in current_blocks(room, installment):
        assert block.strip() in shown, block
    deletion = page.locator("#edits .sa-inline del.diff-del").first
    insertion = page.locator("#edits .sa-inline ins.diff-ins").first
    for marked in (deletion, insertion):
        marked.scroll_into_view_if_needed()
        assert marked.is_visible()
        box = marked.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width_of(page) + 1, box
    assert_fits(page)


# --- one click to an article ------------------------------------------------------------------


def test_one_click_on_an_installment_opens_its_text_and_its_edit(page: Any, served: tuple[Room, str, str], shots: Path) -> None:
    room, base, _ = served
    page.goto(base + "/")
    assert_fits(page)
    shoot(page, shots, "front")
    page.locator("a.sa-title").first.click()
    assert_article_with_its_diff(page, room, 1)
    shoot(page, shots, "article")


def test_a_recent_edit_opens_the_article_at_its_diff(page: Any, served: tuple[Room, str, str], shots: Path) -> None:
    room, base, _ = served
    page.goto(base + "/")
    page.get_by_role("link", name="Every edit and removal").click()
    page.wait_for_url("**/series/-/changes")
    assert page.locator(".sa-card .sa-diff del.diff-del").count() == 2
    assert_fits(page)
    shoot(page, shots, "changes")
    edit = page.locator(".sa-card", has=page.locator(".sa-diff")).first
    edit.locator("a").first.click()
    assert_article_with_its_diff(page, room, 1)
    anchor = urlsplit(page.url).fragment
    assert anchor.startswith("change-") and page.locator(f"#{anchor} del.diff-del").first.is_visible()


def test_a_search_result_opens_the_article(page: Any, served: tuple[Room, str, str], shots: Path) -> None:
    room, base, _ = served
    page.goto(base + "/")
    page.fill("#sa-q", "芯片")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/series/-/search?q=*")
    assert page.locator(".sa-snippet mark").all_inner_texts() == ["晶片"]
    assert_fits(page)
    shoot(page, shots, "search")
    page.locator(".sa-hits a").first.click()
    assert_article_with_its_diff(page, room, 1)


def test_the_other_page_types_fit_too(page: Any, served: tuple[Room, str, str], shots: Path) -> None:
    room, base, _ = served
    for name, path in (
        ("archive", "/series"),
        ("compare", f"/series/-/article/{room.ids[1]}?from=1&to=3#compare"),
        ("removed-and-back", f"/series/-/article/{room.ids[4]}"),
        ("older-version", f"/series/-/article/{room.ids[1]}?version=1"),
    ):
        page.goto(base + path)
        assert_fits(page)
        shoot(page, shots, name)


# --- accessibility ------------------------------------------------------------------------------


def test_axe_finds_no_serious_or_critical_violation(page: Any, served: tuple[Room, str, str]) -> None:
    if not AXE.exists():
        unavailable(f"no axe-core at {AXE} (npm install --prefix .cache/axe axe-core, as .ci/run does)")
    room, base, _ = served
    found = []
    for path in (
        "/",
        "/series",
        f"/series/-/article/{room.ids[1]}",
        f"/series/-/article/{room.ids[1]}?from=1&to=3",
        f"/series/-/article/{room.ids[4]}",
        "/series/-/changes",
        "/series/-/search?q=關稅",
    ):
        page.goto(base + path)
        page.evaluate(OPEN_ALL)
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("async () => (await axe.run(document)).violations.map(v => [v.id, v.impact, v.help, v.nodes.map(n => n.target.join(' ')).slice(0, 3)])")
        found += [(path, *v) for v in violations if v[1] in ("serious", "critical")]
    assert not found, "\n".join(map(str, found))


# --- plain datasette ---------------------------------------------------------------------------


def test_plain_datasette_serves_the_same_pages(page: Any, served: tuple[Room, str, str]) -> None:
    room, base, plain = served
    timing = re.compile(r"Queries took [\d.]+ms")
    with httpx.Client(trust_env=False, timeout=10) as http:
        for path in ("/", "/series", f"/series/-/article/{room.ids[1]}", "/series/-/changes", "/series/-/search?q=關稅"):
            ours, theirs = http.get(base + path), http.get(plain + path)
            assert ours.status_code == theirs.status_code == 200, path
            # The same but for the footer's timing and absolute links naming each server's port.
            assert timing.sub("", ours.text.replace(base, "")) == timing.sub("", theirs.text.replace(plain, "")), path
    page.goto(plain + "/")
    page.locator("a.sa-title").first.click()
    assert_article_with_its_diff(page, room, 1)


# --- the README's two pictures -------------------------------------------------------------------


def test_the_readme_pictures(browser: Any, served: tuple[Room, str, str], shots: Path) -> None:
    """The front page's first screen and an article's edits, side by side open, at 1280 px: docs/images/ holds copies."""
    room, base, _ = served
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        p = context.new_page()
        p.goto(base + "/")
        p.screenshot(path=str(shots / "readme-front.png"))
        p.goto(base + f"/series/-/article/{room.ids[1]}")
        p.evaluate("() => document.querySelector('#edits details.sa-side').open = true")
        p.locator("#edits .sa-edit").first.screenshot(path=str(shots / "readme-article-diff.png"))
    finally:
        context.close()
    assert (shots / "readme-front.png").stat().st_size > 10_000


def test_chromium_has_a_cjk_font() -> None:
    """Without one (Debian's fonts-noto-cjk, installed by .ci/run) every Chinese character is an empty box."""
    try:
        found = subprocess.run(["fc-list", ":lang=zh-tw", "family"], capture_output=True, text=True, timeout=30).stdout
    except FileNotFoundError:
        found = ""
    if not found.strip():
        unavailable("no CJK font for Chromium (Debian package `fonts-noto-cjk`)")
    assert "CJK" in found or "TC" in found, found
