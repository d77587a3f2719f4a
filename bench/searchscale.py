"""The search figures at scale (``bench/run.py --scale``'s ``search`` part; ``scale.py`` runs it).

The archives are built not by HTTP (a million versions through the replica
would take hours) but through the archive package's own writer,
``Archive.create_article`` and ``Archive.add_version``, the calls the pipeline
makes, so the triggers fold every version and fill both search indexes as a
crawl would. The texts are sitegen's sentences, each article with its own
invented firm and person (names of random characters, so a name is about as
rare as in a real paper), ten versions an article, each a one-paragraph edit
of the one before. The archives are kept in bench/work/ (gitignored), named by
their parameters: the 1,000,000 one is built once by extending a copy of the
100,000 one, and reused by later runs.

Each query's first page is timed through ``archive.search.search``, and every
page is checked against 0.2.0's search (``check_pages``).
"""

from __future__ import annotations

import cProfile
import json
import random
import shutil
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from bench import sitegen

Log = Callable[[str], None]

# The first page of any query, at a million versions: under this many ms (issue 25).
SEARCH_MS = 100.0

# Bump when the generated archive changes shape, so cached archives are built again.
SEARCH_FORMAT = 2
VERSIONS_PER_ARTICLE = 10
PARAGRAPHS = 4
# Characters of invented given names and firm names (common in names; any would do).
NAME_CHARS = (
    "安柏波博才辰澄川春丹德東棟帆方飛芬楓福剛歌庚廣貴海涵翰豪浩和赫鴻華輝慧佳嘉建江傑金錦晉京晶靜久娟君凱康柯可蘭朗樂"
    "禮立麗蓮良林玲凌龍露倫梅敏明鳴寧鵬平琪啟謙強喬琴青清晴秋泉榮瑞潤森善盛詩石書舒帥順思松素濤騰天婷彤偉維文武希熙霞"
    "翔曉欣新星興雪雅彥燕陽耀怡逸毅穎永勇友宇雨玉元源遠月悅雲澤振正志智中舟洲竹卓子宗"
)


# --- search at scale ---------------------------------------------------------------


_FIRM, _PERSON = "\x01", "\x02"


@lru_cache(maxsize=1)
def _paragraph_pool(seed: int, size: int = 20_000) -> tuple[str, ...]:
    """Paragraphs of sitegen's sentences with the firm and person left as marks: a million paragraphs cost a lookup each."""
    rng = random.Random(f"pool:{seed}")
    return tuple("".join(sitegen._sentence(rng, _FIRM, _PERSON) for _ in range(rng.randint(3, 5))) for _ in range(size))


def _paragraph(rng: random.Random, firm: str, person: str, seed: int = 15) -> str:
    return rng.choice(_paragraph_pool(seed)).replace(_FIRM, firm).replace(_PERSON, person)


def _entities(rng: random.Random) -> tuple[str, str, str]:
    """An article's firm, person and the person's given name (two characters)."""
    given = rng.choice(NAME_CHARS) + rng.choice(NAME_CHARS)
    firm = rng.choice(NAME_CHARS) + rng.choice(NAME_CHARS) + rng.choice(sitegen.FIRM_TAILS)
    return firm, rng.choice(sitegen.SURNAMES) + given, given


def _article_rng(seed: int, number: int) -> random.Random:
    return random.Random(f"scale:{seed}:{number}")


def build_search_archive(db: Path, versions: int, *, seed: int = 15, log: Log = print, batch: int = 5000) -> dict[str, Any]:
    """Write articles of ``VERSIONS_PER_ARTICLE`` versions into ``db`` until it holds ``versions``; the build's figures.

    An archive already holding some of them (a copy of a smaller one) is extended.
    """
    from series_archiver.archive import Archive
    from series_archiver.models import Article, Block

    started = time.perf_counter()
    articles = -(-versions // VERSIONS_PER_ARTICLE)
    with Archive(db) as archive:
        have = archive.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        base = datetime(2025, 1, 1, tzinfo=UTC)
        derivation = archive.derivation_id("bench-scale", json.dumps({"bench": SEARCH_FORMAT}), base)
        number = have
        while number < articles:
            with archive.transaction():
                for _ in range(max(1, batch // VERSIONS_PER_ARTICLE)):
                    number += 1
                    if number > articles:
                        break
                    rng = _article_rng(seed, number)
                    firm, person, _ = _entities(rng)
                    paragraphs = [_paragraph(rng, firm, person, seed) for _ in range(PARAGRAPHS)]
                    url = f"https://www.takungpao.com/news/232108/scale/{number}.html"
                    title = f"{sitegen.SERIES}｜{firm}{rng.choice(sitegen.HEADLINE_A)} {person}：{rng.choice(sitegen.QUOTES)[:8]}"
                    when = base + timedelta(minutes=number)
                    byline, captions = f"大公報記者 {person}", (f"{firm}的{rng.choice(sitegen.FACILITIES)}。",)

                    def article(paragraphs: list[str], title: str = title, url: str = url, byline: str = byline,
                                captions: tuple[str, ...] = captions) -> Article:
                        return Article(url=url, profile="takungpao", title=title, blocks=tuple(Block("paragraph", p) for p in paragraphs),
                                       byline=byline, captions=captions)

                    article_id = archive.create_article(series=sitegen.SERIES, installment=number, label=None, article=article(paragraphs), url=url, now=when)
                    for k in range(VERSIONS_PER_ARTICLE):
                        if k:
                            paragraphs = list(paragraphs)
                            paragraphs[rng.randrange(PARAGRAPHS)] = _paragraph(rng, firm, person, seed)
                        archive.add_version(article_id, article(paragraphs=paragraphs), content_hash=f"{number}:{k}",
                                            captured_at=when + timedelta(days=k), url=url, capture_ids=[], derivation_id=derivation)
            if number % 10_000 < batch // VERSIONS_PER_ARTICLE:
                log(f"  {number * VERSIONS_PER_ARTICLE:,} versions ({time.perf_counter() - started:.0f} s)")
    return {"versions": articles * VERSIONS_PER_ARTICLE, "articles": articles, "seconds": time.perf_counter() - started,
            "articles_added": articles - have}


def search_queries(seed: int, articles: int, count: int = 25) -> dict[str, list[str]]:
    """What a reader looks up: the given name (two characters) and full name (three) of people in the archive.

    Drawn from articles of the whole archive (of ``articles``), the same draws at every size that holds them.
    """
    rng = random.Random(f"queries:{seed}")
    two, three = [], []
    for _ in range(count):
        _firm, person, given = _entities(_article_rng(seed, rng.randint(1, articles)))
        two.append(given)
        three.append(person)
    # Words that occur in a large part of the archive, reported beside (no target: every match is an article to list).
    common = ["科技", "企業", "研發投入"]
    return {"two": two, "three": three, "one": [g[0] for g in two[:3]], "common": common}


def time_queries(db: Path, queries: list[str], *, runs: int = 3, profile: Path | None = None) -> list[dict[str, Any]]:
    """Each query's first page through ``search.search`` on a read-only connection, as Datasette runs it: best of ``runs``, ms.

    The page is what a reader waits for: the total counted, the first ``DEFAULT_LIMIT`` articles with their
    versions and snippets. ``versions``: how many versions match in the whole archive (counted apart, untimed).
    """
    from series_archiver.archive.search import matching_versions, search

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    out = []
    try:
        for q in queries:
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                page = search(conn, q)
                times.append((time.perf_counter() - started) * 1000)
            out.append({"query": q, "ms": min(times), "ms_runs": [round(t, 2) for t in times], "articles": page.total,
                        "page_articles": len(page.results), "versions": matching_versions(conn, q)})
        if profile:
            # Once more under the profiler, apart from the timed runs (it slows what it watches).
            profiler = cProfile.Profile()
            profiler.enable()
            for q in queries:
                search(conn, q)
            profiler.disable()
            profile.parent.mkdir(parents=True, exist_ok=True)
            profiler.dump_stats(str(profile))
    finally:
        conn.close()
    return out


# The search as release 0.2.0 ran it (archive/search.py's SEARCH_SQL before paging, verbatim but for
# the installment order written out, and the pairs index's rowid read as schema step 11 writes it,
# article_id << 32 | version_id): every article that matches, each with every matching version and its
# snippet. ``check_pages`` compares the paged search with it.
_IN_TRIGRAMS_0_2 = "s.version_id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH coalesce(sa_fts_query(:q), '\"\"'))"
_IN_BIGRAMS_0_2 = (
    "s.version_id IN (SELECT rowid & 4294967295 FROM search_bigrams WHERE search_bigrams MATCH coalesce(sa_bigram_query(:q), 'x'))"
)
SEARCH_0_2 = f"""WITH hits AS (
    SELECT s.article_id, s.version FROM search_text AS s
    WHERE sa_bigram_query(:q) IS NULL AND sa_fts_query(:q) IS NOT NULL AND {_IN_TRIGRAMS_0_2} AND sa_match(s.folded, :q)
    UNION ALL
    SELECT s.article_id, s.version FROM search_text AS s
    WHERE sa_bigram_query(:q) IS NOT NULL AND {_IN_BIGRAMS_0_2} AND (sa_fts_query(:q) IS NULL OR {_IN_TRIGRAMS_0_2})
      AND sa_match(s.folded, :q)
),
per_article AS (
    SELECT article_id, group_concat(version, ', ') AS versions_matching, max(version) AS latest_match
    FROM (SELECT article_id, version FROM hits ORDER BY article_id, version)
    GROUP BY article_id
)
SELECT a.id AS article_id, a.series, a.installment, a.label, a.title, substr(a.published, 1, 10) AS published, a.status,
    p.versions_matching, a.current_version, sa_snippet(v.title, v.text, v.captions, :q) AS snippet_html
FROM per_article AS p
JOIN articles AS a ON a.id = p.article_id
JOIN versions AS v ON v.article_id = p.article_id AND v.version = p.latest_match
ORDER BY a.series, a.installment IS NULL, a.installment, a.published, a.id"""


def check_pages(db: Path, queries: list[str], log: Log, *, limit: int = 20, whole_limit: int = 500) -> dict[str, Any]:
    """Whether the paged search gives 0.2.0's answer, page by page, for each query (untimed).

    The first three pages of ``limit`` and a page of ``limit`` at every ``whole_limit``-th article must
    be that slice of 0.2.0's list, and the pages of ``whole_limit`` end to end the whole list, the total its length.
    """
    from series_archiver.archive.search import register_functions, search

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    register_functions(conn)
    out: dict[str, Any] = {}
    try:
        for q in queries:
            started = time.perf_counter()
            cur = conn.execute(SEARCH_0_2, {"q": q})
            names = [d[0] for d in cur.description]
            before = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
            seconds_0_2 = time.perf_counter() - started
            ok = True
            offsets = sorted({0, limit, 2 * limit, *range(0, len(before), whole_limit)})
            for offset in offsets:
                page = search(conn, q, limit, offset)
                ok = ok and list(page.results) == before[offset : offset + limit] and page.total == len(before)
            whole: list[dict[str, Any]] = []
            offset: int | None = 0
            while offset is not None:
                page = search(conn, q, whole_limit, offset)
                whole += page.results
                offset = page.next_offset
            ok = ok and whole == before
            out[q] = {"same": ok, "articles": len(before), "pages_checked": len(offsets), "seconds_0_2": round(seconds_0_2, 2)}
            if not ok:
                log(f"  search {q!r}: the pages differ from 0.2.0's answer")
    finally:
        conn.close()
    return out


def search_figures(work: Path, log: Log, *, sizes: tuple[int, ...] = (100_000, 1_000_000), seed: int = 15,
                   profile: Path | None = None, queries: int = 25, check: bool = True) -> dict[str, Any]:
    """Median two- and three-character query times at each size; growth from the first size to the last.

    ``check``: also compare every kind's pages with 0.2.0's search (``check_pages``; at a million
    versions 0.2.0 takes minutes for a common word).
    """
    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"sizes": {}}
    previous: Path | None = None
    for size in sizes:
        db = work / f"scale-search-{size}-s{seed}-f{SEARCH_FORMAT}.db"
        info_path = db.with_suffix(".json")
        info = json.loads(info_path.read_text()) if info_path.exists() and db.exists() else None
        if info is None and db.exists():
            # A build that was stopped: its batches were committed, so it goes on from there.
            log(f"search archive of {size:,} versions: resuming the build of {db.name} (its build time counts from here) …")
            built = build_search_archive(db, size, seed=seed, log=log)
            info = {**built, "build_seconds": None, "bytes": _checkpointed_size(db)}
            info_path.write_text(json.dumps(info, indent=1) + "\n")
        elif info is None:
            if previous is not None:
                log(f"search archive of {size:,} versions: extending a copy of {previous.name} …")
                shutil.copy(previous, db)
                carried = json.loads(previous.with_suffix(".json").read_text())["build_seconds"] or 0.0
            else:
                log(f"search archive of {size:,} versions: building …")
                carried = 0.0
            built = build_search_archive(db, size, seed=seed, log=log)
            info = {**built, "build_seconds": carried + built["seconds"], "bytes": _checkpointed_size(db)}
            info_path.write_text(json.dumps(info, indent=1) + "\n")
        else:
            log(f"search archive of {size:,} versions: cached ({info['bytes'] / 2**30:.2f} GB)")
        _upgrade(db, log)
        info["per_table"] = _per_index_bytes(db)
        qs = search_queries(seed, sizes[0] // VERSIONS_PER_ARTICLE, queries)
        log(f"  timing {sum(len(v) for v in qs.values())} queries at {size:,} versions …")
        # Every kind at every size: a page costs what it shows, so words in much of the archive and single
        # characters are timed like names (their first page; the total is counted from the index).
        timed = {kind: time_queries(db, q, profile=(profile / f"search-{size}-{kind}.prof") if profile else None) for kind, q in qs.items()}
        info["queries"] = timed
        info["versions_in_archive"] = _versions(db)
        if check:
            log(f"  checking every kind's pages against 0.2.0's search at {size:,} versions (untimed) …")
            info["pages_as_0_2"] = {kind: check_pages(db, q, log) for kind, q in qs.items()}
            info["pages_as_0_2_all_same"] = all(c["same"] for kind in info["pages_as_0_2"].values() for c in kind.values())
        info["median_ms"] = {kind: statistics.median(t["ms"] for t in timed[kind]) for kind in ("two", "three")}
        info["median_hits"] = {kind: statistics.median(t["versions"] for t in timed[kind]) for kind in ("two", "three")}
        out["sizes"][str(size)] = info
        previous = db
    first, last = out["sizes"][str(sizes[0])], out["sizes"][str(sizes[-1])]
    out["growth"] = {kind: last["median_ms"][kind] / max(first["median_ms"][kind], 1e-6) for kind in ("two", "three")}
    out["met"] = {kind: last["median_ms"][kind] < SEARCH_MS for kind in ("two", "three")}
    # The words in more than half the versions: the slowest first page among them is the figure.
    half = [q for q in last["queries"]["common"] if q["versions"] > last["versions_in_archive"] / 2]
    out["common_word_first_page_ms"] = max((q["ms"] for q in half), default=None)
    out["common_words_over_half"] = [q["query"] for q in half]
    out["met"]["common"] = out["common_word_first_page_ms"] is not None and out["common_word_first_page_ms"] < SEARCH_MS
    return out


def _versions(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM versions").fetchone()[0])


def _upgrade(db: Path, log: Log) -> None:
    """Bring a cached archive to this release's schema before timing it (a reader never upgrades)."""
    from series_archiver.archive import Archive
    from series_archiver.archive.migrations import schema_version
    from series_archiver.archive.schema import SCHEMA_VERSION

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        version = schema_version(conn)
    if version < SCHEMA_VERSION:
        started = time.perf_counter()
        log(f"  upgrading {db.name} from schema {version} to {SCHEMA_VERSION} …")
        Archive(db, backup_before_upgrade=False).close()
        log(f"  upgraded in {time.perf_counter() - started:.0f} s")


def _checkpointed_size(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db.stat().st_size


def _per_index_bytes(db: Path) -> dict[str, int]:
    """Bytes of the versions, search_text and the two FTS indexes (shadow tables counted with their index)."""
    out: dict[str, int] = {}
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        try:
            rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        except sqlite3.OperationalError:
            return out
    for name, size in rows:
        for owner in ("search_fts", "search_bigrams", "search_text", "versions"):
            if name == owner or name.startswith(owner + "_") or name == f"idx_{owner}_article":
                out[owner] = out.get(owner, 0) + int(size)
                break
    return out
