"""How much a furniture-only re-fetch adds to the archive: ``python bench/storage.py [--articles N] [--passes P]``.

The synthetic site (bench/sitegen.py) is served on 127.0.0.1; a first crawl
archives it; then every pass serves each installment with new furniture only
(another view count, another ranking box: what the live pages change on every
load) and crawls it again, as the daemon's re-checks would. Each re-fetch is
then a 200 with new bytes: a capture (a zstd delta, archive/captures.py), its
fetch-log row and the URL's new validators, and no version.

The size is measured on the real SQLite file after a WAL checkpoint, as the
pages in use: ``(page_count - freelist_count) * page_size``, so free pages
(which later writes reuse) are not counted as growth.

``furniture_growth(...)`` returns the figures as a dict for bench/run.py;
``main`` prints them as JSON. Targets (issue 15): a furniture-only re-fetch
adds at most 1 KB; after 100 such passes the archive is at most 1.2× its size
after the first (``ratio_after_100``, extrapolated from the passes run when
fewer are asked for: growth per pass is constant, each pass adding one delta
and one log row per installment).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import child, sitegen  # noqa: E402
from series_archiver.demo.replica import ReplicaSite  # noqa: E402

WORK = BENCH / "work"
TARGETS = {"bytes_per_refetch": 1024, "ratio_after_100": 1.2}

_VIEWS = re.compile(r"閱讀量：<span>[\d,]+</span>")
_RANKING = re.compile(r"/news/232109/2025/1201/(\d+)\.html")


def furnished(page: str, rng: random.Random) -> str:
    """The page with only its furniture changed: the view count and every ranking link.

    >>> p = '閱讀量：<span>1,234</span> <a href="/news/232109/2025/1201/1900001.html">'
    >>> q = furnished(p, random.Random(1))
    >>> q != p and len(q) >= len(p) - 2 and "閱讀量" in q
    True
    """
    page = _VIEWS.sub(lambda _: f"閱讀量：<span>{rng.randint(1_000, 99_999):,}</span>", page, count=1)
    return _RANKING.sub(lambda _: f"/news/232109/2025/1201/{rng.randint(1_900_000, 1_999_999)}.html", page)


def used_bytes(db: Path) -> int:
    """Bytes of the pages the archive uses, after a WAL checkpoint (free pages left out)."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size, pages, free = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_size", "page_count", "freelist_count"))
    return int((pages - free) * page_size)


def per_table(db: Path) -> dict[str, int]:
    """Bytes per table, its indexes included (SQLite's dbstat; empty where it is not compiled in)."""
    with sqlite3.connect(db) as conn:
        try:
            rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        except sqlite3.OperationalError:
            return {}
        owners = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')").fetchall())
    out: dict[str, int] = {}
    for name, size in rows:
        table = owners.get(name, name)
        out[table] = out.get(table, 0) + int(size)
    return out


def _crawl(manifest: dict[str, Any], origins: dict[str, str], db: Path) -> dict[str, Any]:
    count = manifest["params"]["articles"]
    spec = {
        "db": str(db),
        "origins": origins,
        "series": manifest["series"]["name"],
        "pattern": manifest["series"]["pattern"],
        "start_url": manifest["start_url"],
        "max_pages": -(-count // manifest["params"]["per_list"]),
        "workers": 2,
    }
    result = child.crawl(spec)
    if result["counts"]["failed"]:
        raise RuntimeError(f"the crawl failed: {result['failures']}")
    return result


def _capture_rows(db: Path) -> dict[str, Any]:
    """Stored bytes of the capture rows by codec (none before schema step 6: run against an older release to compare)."""
    with sqlite3.connect(db) as conn:
        if "codec" not in {r[1] for r in conn.execute("PRAGMA table_info(captures)")}:
            return {}
        rows = conn.execute(
            "SELECT codec, count(*), avg(length(raw)), avg(length(headers)), avg(size) FROM captures GROUP BY codec ORDER BY codec"
        ).fetchall()
    return {codec: {"rows": n, "raw_bytes": round(raw or 0), "headers_bytes": round(headers or 0), "page_bytes": round(size or 0)} for codec, n, raw, headers, size in rows}


def furniture_growth(articles: int = 100, passes: int = 10, *, work: Path = WORK, seed: int = 15) -> dict[str, Any]:
    """Crawl ``articles`` installments, then ``passes - 1`` furniture-only passes; the archive's growth.

    Returns ``first_pass_bytes``, ``after_bytes``, ``bytes_per_refetch`` (growth
    over the re-fetches that stored a capture), ``ratio_after_100`` (the size
    after 100 passes over the size after the first, extrapolated when
    ``passes`` < 100), the stored bytes of the delta capture rows, the growth per
    table, and whether the targets are met.
    """
    if passes < 2:
        raise ValueError("furniture_growth needs at least 2 passes: the first, and one re-fetch")
    work.mkdir(parents=True, exist_ok=True)
    site_dir = work / f"site-{articles}"
    manifest = sitegen.ensure_site(site_dir, articles)
    db = work / f"storage-{articles}.db"
    for old in db.parent.glob(db.name + "*"):
        old.unlink()
    rng = random.Random(seed)
    started = time.perf_counter()
    with ReplicaSite(site_dir) as site:
        origins = dict(site.origins)
        _crawl(manifest, origins, db)
        first = used_bytes(db)
        tables_first = per_table(db)
        pages = {a["url"]: site.text(a["url"]) for a in manifest["articles"]}
        with sqlite3.connect(db) as conn:
            captures_before = conn.execute("SELECT count(*) FROM captures").fetchone()[0]
        sizes = [first]
        for _ in range(passes - 1):
            for url, page in pages.items():
                site.set_page(url, furnished(page, rng))
            result = _crawl(manifest, origins, db)
            if result["counts"]["new_versions"]:
                raise RuntimeError("a furniture-only pass made a version: the furniture reached the text")
            sizes.append(used_bytes(db))
    with sqlite3.connect(db) as conn:
        refetches = conn.execute("SELECT count(*) FROM captures").fetchone()[0] - captures_before
    after = sizes[-1]
    per_refetch = (after - first) / max(1, refetches)
    per_pass = (after - first) / (passes - 1)
    ratio_100 = (first + 99 * per_pass) / first
    tables_after = per_table(db)
    figures = {
        "articles": articles,
        "passes": passes,
        "refetches": refetches,
        "first_pass_bytes": first,
        "after_bytes": after,
        "sizes": sizes,
        "bytes_per_article_first_pass": round(first / articles),
        "bytes_per_refetch": round(per_refetch),
        "ratio_after_100": round(ratio_100, 3),
        "capture_rows": _capture_rows(db),
        "growth_per_refetch_by_table": {
            t: round((tables_after.get(t, 0) - tables_first.get(t, 0)) / max(1, refetches))
            for t in sorted(set(tables_after) | set(tables_first))
            if tables_after.get(t, 0) != tables_first.get(t, 0)
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    figures["met"] = {
        "bytes_per_refetch": figures["bytes_per_refetch"] <= TARGETS["bytes_per_refetch"],
        "ratio_after_100": figures["ratio_after_100"] <= TARGETS["ratio_after_100"],
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--passes", type=int, default=10)
    args = parser.parse_args(argv)
    print(json.dumps(furniture_growth(args.articles, args.passes), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
