"""The archive in a real browser: Debian's headless Chromium, driven by Playwright.

``series-archiver browse`` runs as a subprocess on 127.0.0.1 over an archive of
the replica (① edited between two crawls, markup injected into ③'s text).
The browser lists the installments, searches two-character words in both
scripts, opens the edit and sees the highlighted diff, and the injected
``onerror`` handler and ``<script>`` never run.

Playwright drives the system Chromium (``executable_path``); it never
downloads a browser. Without /usr/bin/chromium the tests are skipped, unless
SA_REQUIRE_BROWSER=1 (CI), when they fail.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from series_archiver.demo.replica import ReplicaSite
from tests.support.browse import Built, build_archive, version_row_id
from tests.support.browser import chromium
from tests.support.tools import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Built, str]]:
    """The archive, served by `series-archiver browse` in its own process."""
    with ReplicaSite() as site:
        built = build_archive(tmp_path_factory.mktemp("browser") / "series.db", site)
    port = free_port()
    log = tmp_path_factory.mktemp("browse-log") / "browse.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "series_archiver", "browse", "--db", str(built.db), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        with httpx.Client(trust_env=False, timeout=2) as http:
            while True:
                try:
                    if http.get(f"{base}/-/versions.json").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"`series-archiver browse` did not come up:\n{log.read_text(errors='replace')}")
                time.sleep(0.1)
        yield built, base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def page(browser: object, served: tuple[Built, str]) -> Iterator[object]:
    context = browser.new_context()  # type: ignore[attr-defined]
    # Nothing may leave the machine: any request off 127.0.0.1 is aborted and remembered.
    escaped: list[str] = []

    def guard(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()  # type: ignore[attr-defined]
        else:
            escaped.append(url)
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", guard)
    p = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: object) -> None:
        dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    p.on("dialog", on_dialog)
    yield p
    context.close()
    assert not dialogs, f"a page opened a dialog: {dialogs}"
    assert not [u for u in escaped if not u.startswith(("data:", "about:"))], f"requests left 127.0.0.1: {escaped}"


def _column(page: object, name: str) -> list[str]:
    return [t.strip() for t in page.locator(f"table.rows-and-columns td.col-{name}").all_inner_texts()]  # type: ignore[attr-defined]


def _not_pwned(page: object) -> None:
    assert page.evaluate("() => window.__pwned === undefined"), "injected script ran"  # type: ignore[attr-defined]
    assert page.title() != "pwned"  # type: ignore[attr-defined]


def test_a_reader_lists_the_installments_in_order(page: object, served: tuple[Built, str]) -> None:
    built, base = served
    page.goto(base + "/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="the installments in order").click()  # type: ignore[attr-defined]
    page.wait_for_url(f"**/{built.name}/installments")  # type: ignore[attr-defined]
    assert _column(page, "installment") == ["1", "2", "3", "4"]
    assert _column(page, "versions") == ["2", "1", "1", "1"]
    assert _column(page, "status") == ["live", "live", "live", "gone"]
    assert _column(page, "title")[0] == "貿戰下中國力量① 志氣篇｜門檻擋不住 星河芯挺起腰桿"


def _search(page: object, base: str, built: Built, q: str) -> list[str]:
    page.goto(f"{base}/{built.name}/search")  # type: ignore[attr-defined]
    page.fill("input[name=q]", q)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Run SQL").click()  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]
    return _column(page, "installment")


def test_a_reader_searches_two_character_words_in_either_script(page: object, served: tuple[Built, str]) -> None:
    built, base = served
    # 芯片 (mainland) finds the 晶片 printed in ①, highlighted in the snippet.
    assert _search(page, base, built, "芯片") == ["1"]
    assert page.locator("td.col-snippet_html mark").all_inner_texts() == ["晶片"]  # type: ignore[attr-defined]
    # Simplified 华为 finds the traditional 華為 printed in ①.
    assert _search(page, base, built, "华为") == ["1"]
    assert page.locator("td.col-snippet_html mark").all_inner_texts() == ["華為"]  # type: ignore[attr-defined]
    # Simplified 码头 finds the traditional 碼頭 of ① and ②; and the reverse.
    assert _search(page, base, built, "码头") == ["1", "2"]
    assert set(page.locator("td.col-snippet_html mark").all_inner_texts()) == {"碼頭"}  # type: ignore[attr-defined]
    assert _search(page, base, built, "關稅") == _search(page, base, built, "关税") == ["1", "2", "3"]


def test_a_reader_opens_an_edit_and_sees_the_highlighted_diff(page: object, served: tuple[Built, str]) -> None:
    built, base = served
    page.goto(base + "/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="recent edits, with their diffs").click()  # type: ignore[attr-defined]
    page.locator("td.col-change_id a").first.click()  # type: ignore[attr-defined]
    page.wait_for_url(f"**/{built.name}/changes/*")  # type: ignore[attr-defined]
    deleted = page.locator(".sa-diff del.diff-del")  # type: ignore[attr-defined]
    inserted = page.locator(".sa-diff ins.diff-ins")  # type: ignore[attr-defined]
    assert deleted.all_inner_texts() == ["1萬億"]
    assert inserted.first.inner_text() == "1.2萬億"
    # Highlighted: the browser applies the diff colours (browse.css).
    colours = page.evaluate(  # type: ignore[attr-defined]
        """() => [getComputedStyle(document.querySelector('.sa-diff del.diff-del')).backgroundColor,
                  getComputedStyle(document.querySelector('.sa-diff ins.diff-ins')).backgroundColor]"""
    )
    assert colours == ["rgb(255, 224, 224)", "rgb(215, 245, 221)"]
    # The inserted text carries the injected markup: shown as text, not run.
    assert '<img src=x onerror="window.__pwned=1' in inserted.nth(1).inner_text()
    assert page.locator(".sa-diff img, .sa-diff script, td img").count() == 0  # type: ignore[attr-defined]
    _not_pwned(page)


def test_injected_markup_never_runs_anywhere_it_shows(page: object, served: tuple[Built, str]) -> None:
    built, base = served
    for path in (
        f"/{built.name}/versions/{version_row_id(built, 3, 1)}",
        f"/{built.name}/recent_edits",
        f"/{built.name}/article_history?id={built.ids[1]}",
        f"/{built.name}/search?q=onerror",
    ):
        page.goto(base + path)  # type: ignore[attr-defined]
        page.wait_for_load_state("load")  # type: ignore[attr-defined]
        assert page.get_by_text("<img src=x", exact=False).count() >= 1, path  # type: ignore[attr-defined]
        assert page.locator("td img, td script").count() == 0, path  # type: ignore[attr-defined]
        _not_pwned(page)
