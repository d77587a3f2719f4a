"""The benchmark: is the archiver fast on a first crawl and cheap when nothing changed?

    .venv/bin/python bench/run.py            # 1,000 installments, about a minute on 2 idle cores
    .venv/bin/python bench/run.py --quick    # 200 installments, a smoke test
    .venv/bin/python bench/run.py --scale    # large archives and histories (bench/scale.py), about an hour

It writes a synthetic series (bench/sitegen.py) into bench/work/ (kept between
runs, rewritten when its parameters change), serves it on 127.0.0.1 with the
project's replica server (ETag, Last-Modified, 304, gzip), and measures, each
crawl in a fresh process (bench/child.py):

1. a cold crawl of every installment into an empty archive, against a plain
   loop of httpx GET + trafilatura.extract over the same URLs (no storage);
2. a second pass with nothing changed: time, bytes downloaded, rows written;
3. a pass after 1% of the installments were edited: exactly those get a version;
4. peak RSS of a cold crawl at a tenth of the installments and at all of them;
5. the diff of two 20,000-character versions with scattered edits;
6. the archive's size per article and per unchanged re-fetch.

It prints a table, writes bench/results.json, and exits 1 if a correctness
check failed (a missed speed target is reported, not an error).
Nothing leaves the machine: every request goes to 127.0.0.1 through
``LoopbackTransport``, which refuses any other host.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import platform
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
# `bench` is imported as a package from the repository root, so the imports
# below wait for the root to be on sys.path (hence their noqa: E402).
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import sitegen  # noqa: E402
from series_archiver.decide.diff import diff_texts  # noqa: E402
from series_archiver.demo.replica import ReplicaSite  # noqa: E402

# Where sites, archives and WARCs are made and kept; BENCH_WORK puts them elsewhere (a shared machine: one per engineer).
WORK = Path(os.environ.get("BENCH_WORK") or BENCH / "work")
RESULTS = BENCH / "results.json"
TABLES = ("articles", "article_urls", "versions", "captures", "fetch_log", "changes", "runs")
TARGETS = {
    "cold_speedup": 1.5,  # archiver pages/s over baseline pages/s, at least
    "nochange_time_fraction": 0.15,  # of the cold crawl's time, at most
    "nochange_bytes_fraction": 0.05,  # of the cold crawl's bytes, under
    "rss_mb": 250.0,  # peak at the full size, under
    "rss_growth": 1.3,  # full size over a tenth, under
    "diff_ms": 100.0,  # two 20,000-character versions, under
}


# --- measuring ------------------------------------------------------------------


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    """One job of bench/child.py in a fresh interpreter; its JSON result.

    ``server_cpu_seconds`` is what this process (the replica's threads) spent meanwhile.
    """
    usage = resource.getrusage(resource.RUSAGE_SELF)
    proc = subprocess.run(
        [sys.executable, str(BENCH / "child.py")],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_SELF)
    if proc.returncode != 0:
        raise RuntimeError(f"bench/child.py {spec['job']} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["server_cpu_seconds"] = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
    return result


def served(site: ReplicaSite, since: int) -> dict[str, Any]:
    """What the replica answered since request number ``since``: bytes of bodies sent, statuses."""
    records = site.requests[since:]
    statuses: dict[str, int] = {}
    for r in records:
        statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
    return {"requests": len(records), "body_bytes": sum(r.bytes_sent for r in records), "statuses": statuses}


def checkpoint(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def archive_size(db: Path) -> dict[str, Any]:
    """File size after a WAL checkpoint, and bytes per table (indexes included) where dbstat exists."""
    checkpoint(db)
    size = db.stat().st_size
    wal = db.with_name(db.name + "-wal")
    size += wal.stat().st_size if wal.exists() else 0
    per_table: dict[str, int] = {}
    with sqlite3.connect(db) as conn:
        try:
            rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
            owners = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')").fetchall())
        except sqlite3.OperationalError:
            rows, owners = [], {}
    for name, pages in rows:
        table = owners.get(name, name)
        if table.startswith("sqlite_autoindex_"):
            table = table.split("_")[2]
        per_table[table] = per_table.get(table, 0) + int(pages)
    return {"bytes": size, "per_table": per_table}


def snapshot(db: Path) -> dict[str, dict[Any, str]]:
    """Every row of every table, as key -> digest of the row: to count rows inserted and updated."""
    out: dict[str, dict[Any, str]] = {}
    with sqlite3.connect(db) as conn:
        for table in TABLES:
            key = "url" if table == "article_urls" else "id"
            rows: dict[Any, str] = {}
            for row in conn.execute(f"SELECT {key}, * FROM {table}"):
                rows[row[0]] = hashlib.blake2b(repr(row[1:]).encode(), digest_size=12).hexdigest()
            out[table] = rows
    return out


def rows_written(before: dict[str, dict[Any, str]], after: dict[str, dict[Any, str]]) -> dict[str, dict[str, int]]:
    out = {}
    for table in TABLES:
        b, a = before[table], after[table]
        inserted = sum(1 for k in a if k not in b)
        updated = sum(1 for k, digest in a.items() if k in b and b[k] != digest)
        out[table] = {"inserted": inserted, "updated": updated}
    return out


def version_counts(db: Path) -> dict[str, int]:
    """Versions per primary URL."""
    with sqlite3.connect(db) as conn:
        return {url: n for url, n in conn.execute("SELECT url, versions FROM articles")}


def _edited(rng: random.Random, paragraphs: list[str], edits: int) -> list[str]:
    """A dozen edits spread over the text: a figure changed, a clause inserted, a sentence dropped."""
    out = list(paragraphs)
    for k in range(edits):
        span = max(1, len(out) // edits)
        i = min(len(out) - 1, k * len(out) // edits + rng.randint(0, span - 1))
        p = out[i]
        if k % 3 == 0:
            out[i] = re.sub(r"\d+", lambda m: str(int(m.group()) + 1), p, count=1)
        elif k % 3 == 1:
            out[i] = p.replace("，", "，據最新統計，", 1) if "，" in p else p + "據最新統計。"
        else:
            cut = p.rfind("。", 0, len(p) - 1)
            out[i] = p[: cut + 1] if cut > 0 else p[: len(p) // 2]
    return out


def _time_one_diff(old_text: str, new_text: str) -> dict[str, Any]:
    started = time.perf_counter()
    first = diff_texts(old_text, new_text)
    first_ms = (time.perf_counter() - started) * 1000
    runs = []
    for _ in range(7):
        started = time.perf_counter()
        result = diff_texts(old_text, new_text)
        runs.append((time.perf_counter() - started) * 1000)
    return {
        "old_chars": len(old_text),
        "new_chars": len(new_text),
        "chars_added": result.chars_added,
        "chars_removed": result.chars_removed,
        "first_ms": first_ms,
        "median_ms": statistics.median(runs),
        "max_ms": max(runs),
        "recomposes": result.old == old_text and result.new == new_text and result.changed and first.ops == result.ops,
    }


def time_diff(seed: int = 20, edits: int = 12) -> dict[str, Any]:
    """diff_texts on two 20,000-character versions with scattered edits, in two shapes.

    ``paragraphs``: an article's shape, one paragraph a line (diffed paragraph
    by paragraph). ``one_block``: the same text with no line breaks, the worst
    case for a character-level diff.
    """
    rng = random.Random(seed)
    paragraphs: list[str] = []
    while sum(len(p) + 1 for p in paragraphs) < 20_000:
        paragraphs += sitegen.synthetic_paragraphs(rng, 1, sentences=(3, 6))
    old_lines = "\n".join(paragraphs)[:20_000].split("\n")
    new_lines = _edited(rng, old_lines, edits)
    shapes = {
        "paragraphs": _time_one_diff("\n".join(old_lines), "\n".join(new_lines)),
        "one_block": _time_one_diff("".join(old_lines), "".join(new_lines)),
    }
    return {
        "edits": edits,
        **shapes,
        "median_ms": max(s["median_ms"] for s in shapes.values()),
        "max_ms": max(s["max_ms"] for s in shapes.values()),
        "recomposes": all(s["recomposes"] for s in shapes.values()),
    }


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


# --- the run ----------------------------------------------------------------------


def fresh_db(path: Path) -> Path:
    for p in path.parent.glob(path.name + "*"):
        p.unlink()
    return path


def crawl_spec(manifest: dict[str, Any], origins: dict[str, str], db: Path, workers: int, articles: int | None = None) -> dict[str, Any]:
    """A crawl of the site's first ``articles`` installments (the newest: list pages run newest first)."""
    per_list = manifest["params"]["per_list"]
    count = articles or manifest["params"]["articles"]
    return {
        "job": "crawl",
        "db": str(db),
        "origins": origins,
        "series": manifest["series"]["name"],
        "pattern": manifest["series"]["pattern"],
        "start_url": manifest["start_url"],
        "max_pages": -(-count // per_list),
        "workers": workers,
    }


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of several runs of one job, with every run's time and the highest peak memory.

    Other work on the machine only ever slows a run down: the fastest is the
    one it disturbed least.
    """
    fastest = dict(min(runs, key=lambda r: r["seconds"]))
    fastest["runs_seconds"] = [round(r["seconds"], 3) for r in runs]
    fastest["runs_cpu_seconds"] = [round(r["cpu_seconds"], 3) for r in runs]
    fastest["peak_vm_hwm_kb"] = max(r["rss"]["vm_hwm_kb"] for r in runs)
    return fastest


def bench(articles: int, workers: int, repeat: int, profile: Path | None, log: Any) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    small = max(10, articles // 10)
    WORK.mkdir(parents=True, exist_ok=True)
    site_dir = WORK / f"site-{articles}"
    started = time.perf_counter()
    manifest = sitegen.ensure_site(site_dir, articles)
    log(f"site: {articles} installments, {len(manifest['list_pages'])} list pages, "
        f"pages {manifest['page_bytes']['min']:,}–{manifest['page_bytes']['max']:,} bytes "
        f"({time.perf_counter() - started:.1f}s)")
    if small % manifest["params"]["per_list"]:
        raise ValueError("the small crawl must cover whole list pages")
    urls = [a["url"] for a in manifest["articles"]]
    db = WORK / f"bench-{articles}.db"
    small_db = WORK / f"bench-{small}.db"
    out: dict[str, Any] = {}

    with ReplicaSite(site_dir) as site:
        origins = dict(site.origins)

        # 1. Baseline and cold crawl, taken in turns so that both meet the same machine.
        bases, colds = [], []
        for round_ in range(1, repeat + 1):
            log(f"[{round_}/{repeat}] baseline: httpx GET + trafilatura.extract, one page after another …")
            mark = len(site.requests)
            base = run_child({"job": "baseline", "urls": urls, "origins": origins})
            base["served"] = served(site, mark)
            bases.append(base)
            log(f"[{round_}/{repeat}] cold crawl of {articles} installments into an empty archive, {workers} workers …")
            mark = len(site.requests)
            spec = crawl_spec(manifest, origins, fresh_db(db), workers)
            cold = run_child({**spec, "profile": _prof(profile, "cold") if round_ == repeat else None})
            cold["served"] = served(site, mark)
            c = cold["counts"]
            if (c["new_articles"], c["new_versions"], c["failed"]) != (articles, articles, 0):
                problems.append(f"cold crawl: expected {articles} new articles and versions, no failures; got {c}")
            colds.append(cold)
        base = _best(bases)
        base["pages_per_second"] = articles / base["seconds"]
        if any(b["empty"] for b in bases):
            problems.append(f"baseline: trafilatura found no text on {max(b['empty'] for b in bases)} pages")
        out["baseline"] = base
        cold = _best(colds)
        cold["pages_per_second"] = articles / cold["seconds"]
        cold["size"] = archive_size(db)  # the last cold crawl's archive; every one is the same
        after_cold = snapshot(db)
        cold["rows"] = rows_written(snapshot_empty(), after_cold)
        out["cold"] = cold

        # 2. Nothing changed. The first pass's bytes and rows; the fastest pass's time.
        agains = []
        for round_ in range(1, max(3, repeat) + 1):
            log(f"[{round_}/{max(3, repeat)}] pass with nothing changed …")
            mark = len(site.requests)
            again = run_child({**crawl_spec(manifest, origins, db, workers), "profile": _prof(profile, "nochange") if round_ == 1 else None})
            again["served"] = served(site, mark)
            if again["counts"]["new_versions"] or again["counts"]["failed"]:
                problems.append(f"no-change pass {round_}: {again['counts']}")
            if round_ == 1:
                again["size"] = archive_size(db)
                after_again = snapshot(db)
                again["rows"] = rows_written(after_cold, after_again)
                first = again
            agains.append(again)
        again = {**_best(agains), **{k: first[k] for k in ("served", "wire_bytes", "size", "rows", "counts")}}
        for table in ("versions", "captures", "changes", "articles"):
            if again["rows"][table]["inserted"]:
                problems.append(f"no-change pass wrote {again['rows'][table]['inserted']} rows to {table}")
        out["nochange"] = again

        # 3. 1% of the installments edited, spread over the series.
        count = max(1, articles // 100)
        edited = manifest["articles"][:: articles // count][:count]
        log(f"pass after {len(edited)} installments were edited …")
        for a in edited:
            site.edit(a["url"], a["edit_old"], a["edit_new"])
        before_versions = version_counts(db)
        before_rows = snapshot(db)
        mark = len(site.requests)
        edit = run_child(crawl_spec(manifest, origins, db, workers))
        edit["served"] = served(site, mark)
        edit["rows"] = rows_written(before_rows, snapshot(db))
        after_versions = version_counts(db)
        changed = sorted(u for u, n in after_versions.items() if n != before_versions.get(u))
        expected = sorted(a["url"] for a in edited)
        edit["edited"] = len(edited)
        edit["exactly_the_edited"] = changed == expected and all(after_versions[u] == 2 for u in expected)
        if not edit["exactly_the_edited"]:
            problems.append(f"edit pass: versions changed at {len(changed)} URLs, expected exactly the {len(expected)} edited")
        out["edit"] = edit

        # 4. Peak memory at a tenth of the series (the full size is the cold crawls').
        smalls = []
        for round_ in range(1, repeat + 1):
            log(f"[{round_}/{repeat}] cold crawl of {small} installments, for peak memory …")
            mark = len(site.requests)
            small_run = run_child(crawl_spec(manifest, origins, fresh_db(small_db), workers, small))
            small_run["served"] = served(site, mark)
            if small_run["counts"]["new_articles"] != small:
                problems.append(f"small crawl: expected {small} new articles, got {small_run['counts']}")
            smalls.append(small_run)
        out["small"] = {**_best(smalls), "articles": small}

    log("diff of two 20,000-character versions …")
    out["diff"] = time_diff()
    if not out["diff"]["recomposes"]:
        problems.append("diff: the ops do not recompose both texts")
    out["site"] = {"articles": articles, "small": small, "list_pages": len(manifest["list_pages"]),
                   "page_bytes": manifest["page_bytes"], "workers": workers, "repeat": repeat}
    return out, problems


def _prof(folder: Path | None, name: str) -> str | None:
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"{name}.prof")


def snapshot_empty() -> dict[str, dict[Any, str]]:
    return {table: {} for table in TABLES}


def figures(r: dict[str, Any]) -> dict[str, Any]:
    """The headline figures, as ratios where the machine is noisy, with the targets met or not.

    Times are wall-clock, the fastest of the runs. CPU seconds (of the crawling
    process alone, the replica's not counted) are given beside them: they move
    less when other work shares the machine.
    """
    base, cold, again, edit, small = r["baseline"], r["cold"], r["nochange"], r["edit"], r["small"]
    n = r["site"]["articles"]
    rss_full = cold["peak_vm_hwm_kb"] / 1024
    rss_small = small["peak_vm_hwm_kb"] / 1024
    base_cpu, cold_cpu, again_cpu = min(base["runs_cpu_seconds"]), min(cold["runs_cpu_seconds"]), min(again["runs_cpu_seconds"])
    f: dict[str, Any] = {
        "baseline_pages_per_second": base["pages_per_second"],
        "cold_pages_per_second": cold["pages_per_second"],
        "cold_speedup": cold["pages_per_second"] / base["pages_per_second"],
        "baseline_cpu_ms_per_page": base_cpu / n * 1000,
        "cold_cpu_ms_per_page": cold_cpu / n * 1000,
        "cold_cpu_speedup": base_cpu / cold_cpu,
        "cold_seconds": cold["seconds"],
        "nochange_seconds": again["seconds"],
        "nochange_time_fraction": again["seconds"] / cold["seconds"],
        "nochange_cpu_fraction": again_cpu / cold_cpu,
        "nochange_bytes": again["wire_bytes"],
        "cold_bytes": cold["wire_bytes"],
        "nochange_bytes_fraction": again["wire_bytes"] / cold["wire_bytes"],
        "nochange_body_bytes": again["served"]["body_bytes"],
        "cold_body_bytes": cold["served"]["body_bytes"],
        "nochange_body_bytes_fraction": again["served"]["body_bytes"] / cold["served"]["body_bytes"],
        "nochange_requests": again["served"]["requests"],
        "nochange_304": again["served"]["statuses"].get("304", 0),
        "nochange_versions_written": again["rows"]["versions"]["inserted"],
        "edit_seconds": edit["seconds"],
        "edit_time_fraction": edit["seconds"] / cold["seconds"],
        "edit_new_versions": edit["counts"]["new_versions"],
        "edit_edited": edit["edited"],
        "edit_exact": edit["exactly_the_edited"],
        "rss_small_mb": rss_small,
        "rss_mb": rss_full,
        "rss_growth": rss_full / rss_small,
        "diff_ms": r["diff"]["median_ms"],
        "diff_paragraphs_ms": r["diff"]["paragraphs"]["median_ms"],
        "diff_max_ms": r["diff"]["max_ms"],
        "archive_bytes_per_article": cold["size"]["bytes"] / n,
        "archive_bytes_per_refetch": (again["size"]["bytes"] - cold["size"]["bytes"]) / max(1, again["counts"]["fetched"]),
    }
    f["met"] = {
        "cold_speedup": f["cold_speedup"] >= TARGETS["cold_speedup"],
        "nochange_time_fraction": f["nochange_time_fraction"] <= TARGETS["nochange_time_fraction"],
        "nochange_bytes_fraction": f["nochange_bytes_fraction"] < TARGETS["nochange_bytes_fraction"],
        "nochange_versions_written": f["nochange_versions_written"] == 0,
        "edit_exact": bool(f["edit_exact"]),
        "rss_mb": f["rss_mb"] < TARGETS["rss_mb"],
        "rss_growth": f["rss_growth"] < TARGETS["rss_growth"],
        "diff_ms": f["diff_ms"] < TARGETS["diff_ms"],
    }
    return f


def table(r: dict[str, Any], f: dict[str, Any]) -> str:
    """The results as a Markdown table (bench/README.md shows it)."""
    n, small = r["site"]["articles"], r["site"]["small"]
    met = f["met"]

    def mark(key: str) -> str:
        return "yes" if met[key] else "**no**"

    rows = [
        ("1. cold crawl: archiver, storing everything", f"{f['cold_pages_per_second']:.0f} pages/s ({f['cold_seconds']:.1f} s; CPU {f['cold_cpu_ms_per_page']:.1f} ms/page)", "", ""),
        ("1. cold crawl: baseline, httpx + trafilatura, no storage", f"{f['baseline_pages_per_second']:.0f} pages/s (CPU {f['baseline_cpu_ms_per_page']:.1f} ms/page)", "", ""),
        ("1. archiver / baseline, pages per second", f"**{f['cold_speedup']:.2f}×** (by CPU time {f['cold_cpu_speedup']:.2f}×)", f"≥ {TARGETS['cold_speedup']}×", mark("cold_speedup")),
        ("2. no change: time / cold crawl", f"**{f['nochange_time_fraction']:.1%}** ({f['nochange_seconds']:.2f} s; by CPU time {f['nochange_cpu_fraction']:.1%})", f"≤ {TARGETS['nochange_time_fraction']:.0%}", mark("nochange_time_fraction")),
        ("2. no change: bytes downloaded / cold crawl", f"**{f['nochange_bytes_fraction']:.1%}** ({_kb(f['nochange_bytes'])} of {_kb(f['cold_bytes'])} with headers; bodies alone {f['nochange_body_bytes_fraction']:.1%}; {f['nochange_304']} of {f['nochange_requests']} answers were 304)", f"< {TARGETS['nochange_bytes_fraction']:.0%}", mark("nochange_bytes_fraction")),
        ("2. no change: rows written", _rows(r["nochange"]["rows"]), "no versions", mark("nochange_versions_written")),
        (f"3. {f['edit_edited']} installments (1%) edited: new versions", f"{f['edit_new_versions']}, exactly at the edited ones: {'yes' if f['edit_exact'] else 'NO'}", "exactly the edited", mark("edit_exact")),
        ("3. 1% edited: time / cold crawl", f"{f['edit_time_fraction']:.1%} ({f['edit_seconds']:.2f} s)", "", ""),
        (f"4. peak RSS, cold crawl of {n}", f"**{f['rss_mb']:.0f} MB**", f"< {TARGETS['rss_mb']:.0f} MB", mark("rss_mb")),
        (f"4. peak RSS, {n} / {small} installments", f"**{f['rss_growth']:.2f}×** ({f['rss_small_mb']:.0f} MB at {small})", f"< {TARGETS['rss_growth']}×", mark("rss_growth")),
        ("5. diff of two 20,000-character versions, 12 scattered edits", f"**{f['diff_ms']:.1f} ms** (as one block; {f['diff_paragraphs_ms']:.1f} ms as paragraphs; median of 7)", f"< {TARGETS['diff_ms']:.0f} ms", mark("diff_ms")),
        ("6. archive size per article", _kb(f["archive_bytes_per_article"]) + " (raw pages as zstd, versions, both search indexes, log)", "", ""),
        ("6. archive growth per unchanged re-fetch", f"{f['archive_bytes_per_refetch']:.0f} bytes (its fetch_log row and index entries)", "", ""),
    ]
    lines = ["| figure | measured | target | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def _kb(n: float) -> str:
    return f"{n / 1024:,.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MB"


def _rows(rows: dict[str, dict[str, int]]) -> str:
    parts = []
    for table in TABLES:
        ins, upd = rows[table]["inserted"], rows[table]["updated"]
        if ins or upd:
            parts.append(f"{table} +{ins}" + (f"/~{upd}" if upd else ""))
    return ", ".join(parts) + " (+inserted/~updated; none elsewhere)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 installments: a smoke test in well under a minute")
    parser.add_argument("--articles", type=int, default=None, help="installments in the synthetic series (default 1000)")
    parser.add_argument("--workers", type=int, default=4, help="fetch workers and connections for the crawls (default 4)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs of the baseline, the cold crawl and the small crawl, the fastest counting (default 2, --quick 1)")
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR",
                        help="write cProfiles of the cold crawl and the no-change pass (all threads) into DIR")
    parser.add_argument("--out", type=Path, default=None, help="results file (default bench/results.json; --quick: bench/work/results-quick.json)")
    parser.add_argument("--scale", action="store_true",
                        help="the figures at scale instead (bench/scale.py): search at 1,000,000 versions, import of a 10,000-page WARC, "
                             "100 furniture-only passes, cold-crawl CPU; written under \"scale\" in the results file")
    parser.add_argument("--furniture-passes", type=int, default=None, help="--scale: furniture-only passes (default 100)")
    parser.add_argument("--parts", default=None, metavar="LIST",
                        help="--scale: only these figures, comma-separated, of search, import, furniture, crawl (default all); "
                             "the others already in the results file are kept")
    args = parser.parse_args(argv)
    if args.scale:
        parts = tuple(p.strip() for p in args.parts.split(",")) if args.parts else None
        return main_scale(args.out or RESULTS, args.profile, args.furniture_passes, parts=parts)
    articles = args.articles or (200 if args.quick else 1000)
    out_path = args.out or (WORK / "results-quick.json" if args.quick or articles != 1000 else RESULTS)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    repeat = args.repeat or (1 if args.quick else 2)
    results, problems = bench(articles, args.workers, repeat, args.profile, log)
    f = figures(results)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "targets": TARGETS,
        "figures": f,
        "problems": problems,
        "runtime_seconds": round(time.perf_counter() - started, 1),
        "details": results,
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with _results_lock(out_path):
        # The figures at scale (--scale) live in the same file and take an hour to make: keep them.
        if out_path.exists():
            kept = json.loads(out_path.read_text(encoding="utf-8")).get("scale")
            if kept is not None:
                report["scale"] = kept
        out_path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    m = report["machine"]
    print(f"\nseries-archiver benchmark, {articles} installments, {args.workers} workers; "
          f"{m['nproc']} × {m['cpu']}, Python {m['python']}; {report['runtime_seconds']:.0f} s in all\n")
    print(table(results, f))
    print(f"\nwritten to {out_path}")
    for p in problems:
        print(f"PROBLEM: {p}")
    return 1 if problems else 0


@contextmanager
def _results_lock(out_path: Path) -> Iterator[None]:
    """The results file is read and written whole by either mode: one writer at a time."""
    with open(out_path.with_name(out_path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def main_scale(
    out_path: Path, profile: Path | None, passes: int | None, *, work: Path = WORK, small: bool = False, parts: tuple[str, ...] | None = None
) -> int:
    """``--scale``: the figures of bench/scale.py (``parts`` of them, or all), added to the results file under ``scale``.

    With ``parts``, the other figures already in the file are kept (each says when it was measured), so
    parts can run one after another or side by side; the file is read and written under a lock.
    """
    from bench import scale

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    figures = scale.scale(work, log, profile=profile, small=small, passes=passes, parts=parts)
    when = datetime.now(UTC).isoformat(timespec="seconds")
    for name, figure in figures.items():
        if isinstance(figure, dict) and name != "seconds":
            figure["when"] = when
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with _results_lock(out_path):
        report: dict[str, Any] = json.loads(out_path.read_text(encoding="utf-8")) if out_path.exists() else {}
        kept = report.get("scale", {}).get("figures", {}) if parts else {}
        seconds = {**kept.get("seconds", {}), **figures.get("seconds", {})}
        figures = {**kept, **figures, "seconds": seconds}
        # One entry a figure the issue names (value, target, met), for the parts measured now; the others kept.
        figures["targets"] = {**kept.get("targets", {}), **scale.target_entries({k: v for k, v in figures.items() if k in (parts or scale.PARTS)})}
        report["scale"] = {
            "when": when,
            "machine": machine(),
            "targets": scale.SCALE_TARGETS,
            "runtime_seconds": round(sum(seconds.values()), 1),
            "figures": figures,
        }
        out_path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    m = report["scale"]["machine"]
    print(f"\nseries-archiver benchmark at scale; {m['nproc']} × {m['cpu']}, Python {m['python']}; "
          f"{report['scale']['runtime_seconds']:.0f} s in all\n")
    print(scale.scale_table(figures))
    print(f"\nwritten to {out_path} (under \"scale\")")
    problems = figures.get("crawl", {}).get("problems", [])
    if figures.get("furniture", {}).get("versions_made"):
        problems.append(f"furniture-only passes made {figures['furniture']['versions_made']} versions")
    for p in problems:
        print(f"PROBLEM: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
