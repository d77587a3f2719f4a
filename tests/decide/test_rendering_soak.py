"""A small soak: passes of real one-character edits mixed with rendering noise on every article.

Each pass edits one character of one installment's body and serves every
installment with fresh noise (simplified script in a stretch of the body,
full-width digits, another quote style, spaces). After each pass the edited
installment has exactly one new version whose stored text is its previous text
with the edit applied, and whose counts equal the edit's size as the diff
measures it on clean text; the others have none.
"""

from __future__ import annotations

import random
import re
import sqlite3

import pytest

from series_archiver.decide.diff import diff_texts
from series_archiver.demo.replica import ReplicaSite
from series_archiver.models import document_text
from series_archiver.settings import Settings
from series_archiver.textfold import to_simplified
from tests.support.crawl import Crawler

pytestmark = pytest.mark.slow

PASSES = 12
NEW_CHARS = "甲乙丙丁戊己庚辛"  # the same in both scripts and both widths
_TEXT_NODE = re.compile(r">([^<]+)<")


def noisy(html: str, rng: random.Random) -> str:
    """The page in another rendering: only text between tags, only inside the article body."""
    start = html.index('class="tkp_content"')
    head, body = html[:start], html[start:]

    def render(m: re.Match[str]) -> str:
        text = m[1]
        if rng.random() < 0.4:
            text = to_simplified(text)
        if rng.random() < 0.4:
            text = re.sub(r"[0-9%]", lambda d: chr(ord(d[0]) + 0xFEE0), text)
        if rng.random() < 0.4:
            text = text.replace("「", "“").replace("」", "”")
        if rng.random() < 0.4:
            text = text.replace("，", "， ")
        return f">{text}<"

    return head + _TEXT_NODE.sub(render, body)


def current(settings: Settings) -> dict[str, tuple[int, str, str]]:
    with sqlite3.connect(settings.archive.db) as conn:
        rows = conn.execute(
            "SELECT a.url, a.current_version, v.title, v.text FROM articles a "
            "JOIN versions v ON v.article_id = a.id AND v.version = a.current_version"
        ).fetchall()
    return {url: (number, title, text) for url, number, title, text in rows}


def test_edits_among_rendering_noise_give_diffs_of_the_edits_alone(replica: ReplicaSite, settings: Settings) -> None:
    rng = random.Random(20251215)
    crawler = Crawler(replica, settings)
    assert crawler.crawl().counts.new_articles == 4
    clean = {url: replica.text(url) for url in current(settings)}
    for n in range(PASSES):
        before = current(settings)
        url = rng.choice(sorted(before))
        _, title, text = before[url]
        # An edit of one character of a run of four that occurs once in the stored text and once in the page's body.
        html = clean[url]
        body_at = html.index('class="tkp_content"')
        while True:
            line = rng.choice([line for line in text.split("\n") if len(line) > 20])
            at = rng.randrange(len(line) - 4)
            old = line[at : at + 4]
            if text.count(old) == 1 and html.count(old, body_at) == 1 and re.fullmatch(r"[\u4e00-\u9fff]{4}", old):
                break
        new = old[:2] + rng.choice([c for c in NEW_CHARS if c != old[2]]) + old[3:]
        clean[url] = html[:body_at] + html[body_at:].replace(old, new)
        for page, page_html in clean.items():
            replica.set_page(page, noisy(page_html, rng))
        result = crawler.crawl()
        assert result.ok, result.counts.failures
        after = current(settings)
        assert result.counts.new_versions == 1, f"pass {n}: {result.counts.as_dict()}"
        assert after[url][0] == before[url][0] + 1
        expected_text = text.replace(old, new)
        assert after[url][2] == expected_text, f"pass {n}: the stored text carries more than the edit"
        expected = diff_texts(document_text(title, text), document_text(title, expected_text))
        with sqlite3.connect(settings.archive.db) as conn:
            added, removed = conn.execute(
                "SELECT c.chars_added, c.chars_removed FROM changes c JOIN articles a ON a.id = c.article_id "
                "WHERE a.url = ? AND c.to_version = ?",
                (url, after[url][0]),
            ).fetchone()
        assert (added, removed) == (expected.chars_added, expected.chars_removed), f"pass {n}: {old}→{new}"
        for other in before:
            if other != url:
                assert after[other] == before[other], f"pass {n}: rendering noise changed {other}"
    with sqlite3.connect(settings.archive.db) as conn:
        fetched = conn.execute("SELECT count(DISTINCT sha256) FROM captures WHERE url IN (SELECT url FROM articles)").fetchone()[0]
    assert fetched >= 4 * PASSES, "the noise did not reach the pages: the soak would prove nothing"
