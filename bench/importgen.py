"""A WARC of the synthetic series (bench/sitegen.py), for measuring and profiling ``import``.

    .venv/bin/python bench/importgen.py 10000 bench/work/import-10000.warc.gz
    .venv/bin/python bench/importgen.py 2000 /tmp/i.warc.gz --import /tmp/i.db   # and time an import of it

The pages are the benchmark site's own (same generator, same seeds, so page
*n* of a 10,000-page WARC is installment *n* of a 10,000-installment site),
written straight into the WARC without touching the disk page by page: a
``request`` and a ``response`` record per page, as a crawler writes them
(wget, Browsertrix), gzip members, in crawl order: the list pages first, then
the installments, one second apart. Every page fits the default settings'
series and ``allowed_hosts``, so an import needs no config file.

``write_warc`` is what bench/run.py calls; ``time_import`` imports a file into
a fresh archive in this process and reports pages/s and peak RSS (run it in a
fresh interpreter, as ``main`` does, for an honest RSS).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from datetime import UTC, timedelta
from email.utils import format_datetime
from io import BytesIO
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

from bench import sitegen  # noqa: E402

__all__ = ["write_warc", "time_import"]

# The crawl that "wrote" the WARC: a day after the site's snapshot.
CRAWLED = sitegen.G.SNAPSHOT.astimezone(UTC) + timedelta(days=1)


def _records(pages: int, per_list: int, seed: int) -> Any:
    """(is a list page, url, html) in crawl order: list pages, then installments 1..pages.

    The same seeds as ``sitegen.generate``, so the texts are the benchmark site's.
    The installments are made twice (once for the list pages' entries, once
    written) rather than held: memory stays flat however many pages there are.
    """
    records = [sitegen._article_page(random.Random(f"{seed}:{n}"), n, pages)[0] for n in range(1, pages + 1)]
    for url, html in sitegen._list_pages(random.Random(f"{seed}:lists"), records, per_list):
        yield True, url, html
    del records
    for n in range(1, pages + 1):
        record, html = sitegen._article_page(random.Random(f"{seed}:{n}"), n, pages)
        yield False, record.url, html


def write_warc(path: Path, pages: int = 10_000, *, per_list: int = 20, seed: int = 8, gzip: bool = True) -> dict[str, Any]:
    """Write a WARC of ``pages`` installments and their list pages to ``path``; what it holds.

    Returns ``path``, ``pages`` (installments), ``list_pages``, ``records``
    (WARC records, warcinfo included), ``html_bytes`` (response bodies),
    ``bytes`` (the file) and ``series`` (name and pattern, the default
    settings' own).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    html_bytes = records = list_pages = 0
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gzip)
        info = writer.create_warcinfo_record(path.name, {"software": "series-archiver bench/importgen.py", "format": "WARC File Format 1.1"})
        writer.write_record(info)
        records += 1
        for i, (is_list, url, html) in enumerate(_records(pages, per_list, seed)):
            list_pages += is_list
            when = CRAWLED + timedelta(seconds=i)
            body = html.encode("utf-8")
            html_bytes += len(body)
            warc_date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            http = StatusAndHeaders(
                "200 OK",
                [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                    ("Date", format_datetime(when, usegmt=True)),
                    ("Last-Modified", format_datetime(when - timedelta(hours=2), usegmt=True)),
                    ("ETag", f'"{seed}-{i}"'),
                ],
                protocol="HTTP/1.1",
            )
            response = writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http, warc_headers_dict={"WARC-Date": warc_date})
            host = url.split("/")[2]
            req = StatusAndHeaders(f"GET /{url.split('/', 3)[3]} HTTP/1.1", [("Host", host), ("User-Agent", "bench-crawler/1.0")], is_http_request=True)
            request = writer.create_warc_record(url, "request", http_headers=req, warc_headers_dict={"WARC-Date": warc_date})
            request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
            writer.write_record(request)
            writer.write_record(response)
            records += 2
    return {
        "path": str(path),
        "pages": pages,
        "list_pages": list_pages,
        "records": records,
        "html_bytes": html_bytes,
        "bytes": path.stat().st_size,
        "series": {"name": sitegen.SERIES, "pattern": sitegen.SERIES},
    }


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_import(warc: Path, db: Path, *, profile: Path | None = None) -> dict[str, Any]:
    """Import ``warc`` into a new archive ``db`` (removed first) with the default settings; time and peak RSS."""
    from series_archiver.jobs.importer import run_import
    from series_archiver.settings import load_settings

    for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        p.unlink(missing_ok=True)
    settings = load_settings(db=db)
    rss_before = _peak_rss_mb()
    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = run_import(settings, [warc])
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    if profiler is not None and profile is not None:
        profiler.disable()
        profiler.dump_stats(str(profile))
    cpu = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "pages": result.pages,
        "pages_per_second": result.pages / seconds if seconds else 0.0,
        "cpu_ms_per_page": 1000 * cpu / result.pages if result.pages else 0.0,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
        "result": result.as_json() | {"failures": result.failures[:5]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("pages", type=int)
    parser.add_argument("warc", type=Path)
    parser.add_argument("--import", dest="db", type=Path, help="then import it into this (new) archive and print the timing")
    parser.add_argument("--profile", type=Path, help="with --import: write a cProfile of the import here")
    parser.add_argument("--reuse", action="store_true", help="keep an existing WARC file instead of writing it again")
    args = parser.parse_args()
    if not (args.reuse and args.warc.exists()):
        started = time.perf_counter()
        info = write_warc(args.warc, args.pages)
        info["write_seconds"] = round(time.perf_counter() - started, 1)
        print(json.dumps(info, ensure_ascii=False), flush=True)
    if args.db:
        print(json.dumps(time_import(args.warc, args.db, profile=args.profile), ensure_ascii=False))


if __name__ == "__main__":
    main()
