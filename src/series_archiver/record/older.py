"""Placing a page captured before its article's last check: a web archive's memento, a WARC record.

The writer (``writer.Recorder``) hands a reading here when the URL's article
was last checked (a live crawl, a later capture) *after* the page was
captured; any other reading takes the writer's own path, the same for every
source. Here the page is read already (``read.article``, once, in whichever
thread read it); what happens to it:

- the article was last checked *after* the capture time: the page is placed
  in the article's history in time order (``timeline.py``). Its text is an
  **earlier version** when it differs from the version in force at that time
  (versions, changes, restores and the article's counts are then renumbered in
  time order, ``Archive.rewrite_history``); the version that follows begins
  **earlier** when the page holds its text; otherwise the page is
  **evidence**: a capture row with its provenance (fetch-log outcome
  ``evidence``). A removal (404, 410, a takedown redirect) seen then is a
  ``gone`` at that time, and a ``back`` at the next live sighting. Only the
  primary URL makes versions, as live; a page that looks broken
  (``check_quality``) is evidence, marked suspect.

Each page is written in one transaction: its captures, log rows and the
rewritten history, or nothing. ``IngestCounts`` adds up what came of it.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from series_archiver.archive import Archive, UrlState
from series_archiver.archive.store import ArticleRow, iso
from series_archiver.decide.diff import diff_texts, render_html
from series_archiver.decide.timeline import Earlier, Evidence, Insert, Mark, Removal, Span, in_force, place_removal, place_text, recompute
from series_archiver.decide.versions import check_quality, in_rendering, with_text
from series_archiver.errors import ArchiverError, ExtractError, FetchError, GoneError, WriteRejected
from series_archiver.models import Article, Block, FetchedPage, PassCounts, document_text
from series_archiver.read import derivation
from series_archiver.read.article import ArticleRead
from series_archiver.read.derivation import derive
from series_archiver.read.reading import Reading
from series_archiver.settings import Settings

__all__ = ["Older"]

log = logging.getLogger("series_archiver")

# Fetch-log outcomes of a read of the primary URL: one that made a version (its capture is that version's),
# one that found the text then in force.
_MADE = ("new_article", "new_version", "restored")
_UNCHANGED = ("unchanged", "not_modified")
_RESTORES = re.compile(r"^restores version \d+: ")


class Older:
    """Places older pages in their articles' histories, for the one writer (one page at a time, in its thread)."""

    def __init__(self, settings: Settings, archive: Archive, forget_fingerprints: Callable[[], None]) -> None:
        self.settings = settings
        self.archive = archive
        self.forget_fingerprints = forget_fingerprints
        self.run_id = 0
        self.counts = PassCounts()

    def place(self, read: ArticleRead, state: UrlState, at: datetime, counts: PassCounts, run_id: int) -> bool:
        """Place ``read`` (of the archived URL ``state.url``) captured ``at``, counting into ``counts``.

        False when the reading is a failure to fetch its first page: the writer records that as any failure.
        Each page is written in one transaction (``_guarded``).
        """
        assert state.article_id is not None
        self.run_id, self.counts = run_id, counts
        url, fetched, exc = state.url, list(read.pages), read.error
        if isinstance(exc, GoneError):
            if not fetched:
                self._removal(url, state, at, exc)
            else:  # a further page gone: the text would be cut short, a broken capture
                self._evidence(fetched, state.article_id, suspect=f"page {len(fetched) + 1} of the article is gone ({exc})")
            return True
        if isinstance(exc, FetchError):
            if not fetched:
                return False
            self._evidence(fetched, state.article_id, suspect=f"a further page could not be read ({exc})")
            return True
        if isinstance(exc, ExtractError):
            self._evidence(fetched, state.article_id, suspect=f"no article text could be read: {exc.message}")
            return True
        if exc is not None or read.article is None or read.reading is None:
            return False
        article, reading = read.article, read.reading
        self._guarded(url, lambda: self._place(url, state, at, fetched, article, reading))
        return True

    def _guarded(self, url: str, write: Callable[[], None]) -> None:
        """Run ``write`` in one transaction; a bug rolls it back (counts too), is logged, and the pass goes on, as live.

        The archive cannot be written at all (``ArchiveUnwritable``: disk full, read-only): that stops the pass.
        """
        outer, self.counts = self.counts, PassCounts()
        try:
            with self.archive.transaction(doing=f"record {url}"):
                write()
        except WriteRejected as exc:
            self._bug(url, exc, outer)
        except ArchiverError:
            raise
        except Exception as exc:
            self._bug(url, exc, outer)
        else:
            outer.add(self.counts)
        finally:
            self.counts = outer

    def _bug(self, url: str, exc: Exception, counts: PassCounts) -> None:
        log.error("could not place the older capture of %s", url, exc_info=True)
        counts.failed += 1
        counts.failures.append((url, f"{url}: recording failed ({type(exc).__name__}: {exc}); nothing of it was stored (a bug, please report it)"))

    def _place(self, url: str, state: UrlState, at: datetime, fetched: Sequence[FetchedPage], article: Article, reading: Reading) -> None:
        assert state.article_id is not None
        article_id = state.article_id
        before = self.archive.article(article_id)  # read before add_version, which dates the article by the capture
        assert before is not None
        rows = self.archive.timeline_versions(article_id, self._running_derivation())
        by_id = {int(r["id"]): r for r in rows}
        spans, marks = self._spans(rows), self._marks(article_id)
        current = rows[-1] if rows else None
        if current is not None and reading.key != _stored(current).key:
            self.counts.earlier_texts += 1
        if not state.is_primary:
            self._write_evidence(fetched, article_id)
            log.info("an older capture of a secondary URL, kept as evidence (versions follow the primary URL): %s", url)
            return
        then = in_force(spans, at)
        reason = check_quality(article, reading, len(by_id[then.ref]["text"]) if then else None, self.settings.quality)
        if reason:
            self._write_evidence(fetched, article_id, suspect=reason)
            log.warning("an older capture that looks broken, kept as evidence only: %s: %s", url, reason)
            return
        judged: dict[int, bool] = {}

        def same(span: Span) -> bool:
            if span.ref not in judged:
                judged[span.ref] = self._same(reading, article_id, by_id[span.ref], at)
            return judged[span.ref]

        # The fetch log's reads of the article matter only for a text other than the one in force then.
        reads = self._sightings(article_id, rows) if then is not None and not same(then) else []
        placed = place_text(spans, marks, at, same, reads)
        if isinstance(placed, Evidence):
            self._write_evidence(fetched, article_id)
            log.info("an older capture of #%s (%s) kept as evidence: %s", article_id, at.isoformat(), placed.why)
            return
        if isinstance(placed, Earlier):
            self._write_evidence(fetched, article_id)
            self._rewrite(before, moved={placed.ref: at})
            log.info("version %s of #%s began earlier: its text was captured %s", by_id[placed.ref]["version"], article_id, at.isoformat())
            return
        assert isinstance(placed, Insert)
        capture_ids = self._write_pages(fetched, article_id, outcome="new_version")
        # In the rendering of the version before it (or, older than all, the first one), so its diffs show content only.
        neighbour = placed.previous if placed.previous is not None else (min(spans, key=lambda s: s.at).ref if spans else None)
        text = in_rendering(_stored(by_id[neighbour]), reading) if neighbour is not None else reading
        self.archive.add_version(
            article_id, with_text(article, text), content_hash=reading.key, captured_at=at, url=url,
            capture_ids=capture_ids, derivation_id=self._derivation_id(at),
        )
        made = 1
        if placed.returns_at is not None and placed.previous is not None:
            # A later check still read the text in force before this one: it came back then.
            self._add_return(article_id, by_id[placed.previous], placed.returns_at)
            made += 1
        self.counts.new_versions += made
        self.counts.earlier_versions += made
        self._rewrite(before)
        log.info("an earlier version of #%s, captured %s, placed in time order: %s", article_id, at.isoformat(), url)

    def _removal(self, url: str, state: UrlState, at: datetime, exc: GoneError) -> None:
        """A removal seen in an older capture: a ``gone`` then and a ``back`` at the next sighting, between versions."""
        assert state.article_id is not None
        self._guarded(url, lambda: self._place_removal(state, at, exc))

    def _place_removal(self, state: UrlState, at: datetime, exc: GoneError) -> None:
        assert state.article_id is not None
        article_id = state.article_id
        if not state.is_primary:
            placed: Evidence | Removal = Evidence("a secondary URL's removal does not remove the article")
        else:
            rows = self.archive.timeline_versions(article_id, self._running_derivation())
            live = [t for t, _capture, _outcome in self.archive.primary_reads(article_id, (*_MADE, *_UNCHANGED))]
            placed = place_removal(self._spans(rows), self._marks(article_id), at, live)
        if isinstance(placed, Evidence):
            self.archive.log_attempts(exc.attempts, run_id=self.run_id, final_outcome="evidence", article_id=article_id)
            self.counts.evidence += 1
            log.info("a removal seen in an older capture, kept in the log as evidence (%s): %s", placed.why, exc)
            return
        self.archive.log_attempts(exc.attempts, run_id=self.run_id, final_outcome="gone", article_id=article_id)
        before = self.archive.article(article_id)
        assert before is not None
        if placed.moves is not None:
            self._rewrite(before, moved_marks={placed.moves: (at, exc.summary)})
        else:
            added = [Mark(None, at, "gone", exc.summary)]
            if placed.back_at is not None:
                added.append(Mark(None, placed.back_at, "back", "the article is online again"))
            self._rewrite(before, new_marks=added)
        self.counts.gone += 1
        log.info("a removal of #%s seen in a capture of %s placed in time order: %s", article_id, at.isoformat(), exc.message)

    # --- writing -------------------------------------------------------------------------

    def _evidence(self, fetched: Sequence[FetchedPage], article_id: int, *, suspect: str | None = None) -> None:
        self._guarded(fetched[0].url, lambda: self._write_evidence(fetched, article_id, suspect=suspect))

    def _write_evidence(self, fetched: Sequence[FetchedPage], article_id: int, *, suspect: str | None = None) -> None:
        self._write_pages(fetched, article_id, outcome="evidence", suspect=suspect)
        self.counts.evidence += 1

    def _write_pages(self, fetched: Sequence[FetchedPage], article_id: int, *, outcome: str, suspect: str | None = None) -> list[int]:
        """A capture row per page, and its attempts in the log naming it; the capture ids, page 1 first."""
        capture_ids = []
        for page in fetched:
            capture_id, _new = self.archive.add_capture(page, article_id=article_id, suspect_reason=suspect)
            self.archive.log_attempts(page.attempts, run_id=self.run_id, final_outcome=outcome, article_id=article_id, capture_id=capture_id)
            capture_ids.append(capture_id)
        return capture_ids

    def _add_return(self, article_id: int, previous: dict[str, Any], at: datetime) -> None:
        """A version repeating ``previous``' text, from ``at``: it names the same pages, so rederive reads it alike."""
        row = self.archive.version_row(article_id, int(previous["version"]))
        assert row is not None
        blocks = tuple(Block(kind, text) for kind, text in self.archive.version_blocks(int(previous["id"])))  # type: ignore[arg-type]
        again = Article(
            url=row["url"], profile="", title=row["title"], blocks=blocks,
            published=datetime.fromisoformat(row["published"]) if row["published"] else None,
            byline=row["byline"], captions=tuple(json.loads(row["captions"])),
        )
        self.archive.add_version(
            article_id, again, content_hash=Reading.of(again.title, again.text).key, captured_at=at, url=row["url"],
            capture_ids=json.loads(row["capture_ids"]), derivation_id=row["derivation_id"] or self._derivation_id(at),
        )

    def _rewrite(
        self,
        before: ArticleRow,
        *,
        moved: dict[int, datetime] | None = None,
        new_marks: Sequence[Mark] = (),
        moved_marks: dict[int, tuple[datetime, str]] | None = None,
    ) -> None:
        """Renumber the article's versions in time order and rewrite the rows that name them (timeline.recompute).

        ``before``: the article's row as it was before this page was recorded.
        """
        moved, moved_marks = moved or {}, moved_marks or {}
        article_id = before.id
        rows = self.archive.timeline_versions(article_id, self._running_derivation())
        spans = [Span(s.ref, moved.get(s.ref, s.at), s.reading) for s in self._spans(rows)]
        marks = [
            Mark(m.ref, moved_marks[m.ref][0], m.kind, moved_marks[m.ref][1]) if m.ref in moved_marks else m for m in self._marks(article_id)
        ]
        line = recompute(spans, [*marks, *new_marks])
        by_id = {int(r["id"]): r for r in rows}
        id_of = {int(r["version"]): int(r["id"]) for r in rows}
        number_of = {v.ref: v.number for v in line.versions}
        changes = self.archive.timeline_changes(article_id)
        made_by = {id_of[c["to_version"]]: c for c in changes if c["kind"] in ("edit", "restore") and c["to_version"] in id_of}
        out: list[dict[str, Any]] = []
        for v in line.versions:
            if v.previous is None:
                continue  # the first version: no change made it
            prefix = f"restores version {v.restores}: " if v.restores else ""
            fields: dict[str, Any] = {
                "from_version": number_of[v.previous], "to_version": v.number, "kind": "restore" if v.restores else "edit", "changed_at": iso(v.at),
            }
            old = made_by.get(v.ref)
            if old is None or id_of.get(old["from_version"]) != v.previous:
                # A new predecessor: the diff is taken again, from its stored text to this one's.
                prev, this = by_id[v.previous], by_id[v.ref]
                diff = diff_texts(document_text(prev["title"], prev["text"]), document_text(this["title"], this["text"]))
                fields.update(chars_added=diff.chars_added, chars_removed=diff.chars_removed, summary=prefix + diff.summary(), diff_html=render_html(diff))
            else:
                fields["summary"] = prefix + _RESTORES.sub("", old["summary"] or "", count=1)
            if old is not None:
                if all(old.get(k) == val for k, val in fields.items()):
                    continue
                fields["id"] = old["id"]
            out.append(fields)
        stored_marks = {c["id"]: c for c in changes}
        for m in line.marks:
            mark_fields: dict[str, Any] = {"from_version": m.version or None, "to_version": m.version, "changed_at": iso(m.at), "kind": m.kind, "summary": m.summary}
            if m.ref is not None:
                if all(stored_marks[m.ref].get(k) == val for k, val in mark_fields.items()):
                    continue
                mark_fields["id"] = m.ref
            out.append(mark_fields)
        current = line.current
        assert current is not None
        first_seen = min(datetime.fromisoformat(before.first_seen), line.versions[0].at)
        article: dict[str, Any] = {
            "versions": len(line.versions),
            "current_version": current.number,
            "title": by_id[current.ref]["title"],
            "last_changed": iso(current.at),
            "last_checked": before.last_checked,  # add_version dated it by the older capture: the last check stays
            "first_seen": iso(first_seen),
            "published": before.published,
            "byline": before.byline,
            "status": "gone" if line.gone_at is not None else "live",
            "gone_at": iso(line.gone_at),
        }
        self.archive.rewrite_history(article_id, [(v.ref, v.number, v.at, v.restores) for v in line.versions], out, article)
        if before.current_version is not None and id_of.get(before.current_version) != current.ref:
            self.forget_fingerprints()  # the current text changed: dedupe reads it again

    # --- reading the archive --------------------------------------------------------------

    def _spans(self, rows: Sequence[dict[str, Any]]) -> list[Span]:
        return [Span(int(r["id"]), datetime.fromisoformat(r["captured_at"]), _reading(r)) for r in rows]

    def _sightings(self, article_id: int, rows: Sequence[dict[str, Any]]) -> list[tuple[datetime, int | None]]:
        """Each read of the primary URL with the version it read (None: the one in force then)."""
        made_by: dict[int, int] = {}
        for r in rows:  # by number: a return names the pages of the version it repeats, which made them
            for capture in json.loads(r["capture_ids"]):
                made_by.setdefault(int(capture), int(r["id"]))
        out: list[tuple[datetime, int | None]] = []
        for at, capture_id, outcome in self.archive.primary_reads(article_id, (*_MADE, *_UNCHANGED)):
            if outcome in _UNCHANGED:
                out.append((at, None))
            elif capture_id in made_by:
                out.append((at, made_by[capture_id]))
        return out

    def _marks(self, article_id: int) -> list[Mark]:
        return [
            Mark(int(c["id"]), datetime.fromisoformat(c["changed_at"]), c["kind"], c["summary"])
            for c in self.archive.timeline_changes(article_id)
            if c["kind"] in ("gone", "back")
        ]

    def _same(self, reading: Reading, article_id: int, row: dict[str, Any], now: datetime) -> bool:
        """Whether the page's text is this version's, as the version decision judges it (versions.decide)."""
        stored = _stored(row)
        if reading.key == stored.key:
            return True
        rederived = _folded(row["rederived_title"], row["rederived_text"]) if row["rederived_title"] is not None else self._rederive(article_id, row, now)
        if rederived is not None and rederived.key == reading.key:
            return True
        base = in_rendering(stored, rederived or stored)
        return not diff_texts(base.document, in_rendering(base, reading).document).changed

    def _rederive(self, article_id: int, row: dict[str, Any], now: datetime) -> Reading | None:
        """The version read again from its stored pages by the running code, and recorded (as the pipeline does)."""
        version = self.archive.version_row(article_id, int(row["version"]))
        assert version is not None
        try:
            article = derive(self.archive.stored_pages(json.loads(version["capture_ids"])), sites=self.settings.site_profiles)
        except ExtractError:
            return None
        reading = Reading.of(article.title, article.text)
        self.archive.add_rederivation(int(row["id"]), self._derivation_id(now), title=reading.title, text=reading.text, content_hash=reading.key, now=now)
        return reading

    def _running_derivation(self) -> int | None:
        return self.archive.find_derivation(derivation.current(self.settings.sites).digest)

    def _derivation_id(self, now: datetime) -> int:
        running = derivation.current(self.settings.sites)
        return self.archive.derivation_id(running.digest, running.as_json(), now)


@functools.lru_cache(maxsize=4096)
def _folded(title: str, text: str) -> Reading:
    """``Reading.of``, once per text: an article's history is read again for every older page placed (folding is the cost)."""
    return Reading.of(title, text)


def _stored(row: dict[str, Any]) -> Reading:
    return _folded(row["title"], row["text"])


def _reading(row: dict[str, Any]) -> Reading:
    """The version as the running code reads it where recorded, else as stored (as ``Archive.original_versions``)."""
    if row.get("rederived_title") is not None:
        return _folded(row["rederived_title"], row["rederived_text"])
    return _stored(row)

