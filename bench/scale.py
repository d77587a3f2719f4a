"""The benchmark at scale (``python bench/run.py --scale``): large archives, long histories, big WARCs.

Each figure is one function returning a dict with its ``measured`` value,
its ``target`` and whether it was ``met``:

* ``furniture_figures``: what re-fetches that change only a page's furniture
  (an ad-slot script in ``<head>``, outside the article) cost in archive size,
  per re-fetch and after 100 such passes over 1,000 installments, through the
  real crawler against the loopback replica: ``bench/storage.py``'s
  ``furniture_growth`` where it is there (it counts the pages in use), else
  this module's own loop (the file's size).
* ``search_figures`` (``searchscale.py``, with how its archives are built):
  the first page of two- and three-character names, common words and single
  characters at 100,000 and 1,000,000 versions, every page checked against
  0.2.0's search.
* ``import_figures``: ``series-archiver import`` of a 10,000-page WARC, as a
  subprocess: pages per second and peak RSS, and peak RSS at 2,500 and 5,000
  pages to show it stays flat.
* ``crawl_figures``: cold-crawl CPU per page and the no-change pass, from
  bench/run.py's own measurement (``run.bench``).

``target_entries`` gives each figure issue 25 names its value, target and
verdict (``scale.figures.targets`` in bench/results.json).
"""

from __future__ import annotations

import io
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import sitegen  # noqa: E402
from bench.searchscale import SEARCH_MS, search_figures  # noqa: E402

Log = Callable[[str], None]

SCALE_TARGETS = {
    "furniture_refetch_bytes": 1024.0,  # archive growth per furniture-only re-fetch, at most
    "furniture_passes_growth": 1.2,  # size after 100 furniture-only passes / after the first crawl, at most
    "search_ms": SEARCH_MS,  # median query at 1,000,000 versions, under
    "import_pages_per_second": 300.0,  # at least
    "import_rss_mb": 300.0,  # peak, under
    "import_rss_growth": 1.2,  # peak at 10,000 pages / at 2,500, under ("flat")
    "cold_cpu_ms_per_page": 5.0,  # at most
    "nochange_time_fraction": 0.10,  # of the cold crawl's time, at most
}

# --- import ---------------------------------------------------------------------------


def write_warc(site_dir: Path, manifest: dict[str, Any], path: Path, pages: int) -> dict[str, int]:
    """A warcio-written WARC of the newest ``pages`` installments and the list pages naming them."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    wanted: list[str] = []
    lists: list[str] = []
    article_urls = {a["url"] for a in manifest["articles"]}
    for url in manifest["list_pages"]:
        if len(wanted) >= pages:
            break
        html = _site_file(site_dir, url).read_text(encoding="utf-8")
        lists.append(url)
        wanted += [u for u in dict.fromkeys(re.findall(r'href="([^"]+)"', html)) if u in article_urls][: pages - len(wanted)]
    when = datetime(2025, 12, 20, tzinfo=UTC)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "bench/scale.py", "format": "WARC File Format 1.1"}))
        for i, url in enumerate(lists + wanted):
            body = _site_file(site_dir, url).read_bytes()
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
                                    protocol="HTTP/1.1")
            date = (when + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                                          http_headers=http, warc_headers_dict={"WARC-Date": date}))
    tmp.replace(path)
    return {"articles": len(wanted), "list_pages": len(lists), "bytes": path.stat().st_size}


def _site_file(site_dir: Path, url: str) -> Path:
    host, _, rest = url.split("://", 1)[1].partition("/")
    return site_dir / host / rest


def run_import(warc: Path, db: Path, *, profile: Path | None = None) -> dict[str, Any]:
    """``series-archiver import`` in a subprocess with no network (``unshare -n`` where it can): time, peak RSS, counts."""
    for p in db.parent.glob(db.name + "*"):
        p.unlink()
    config = db.with_suffix(".toml")
    config.write_text(f'[archive]\ndb = {json.dumps(str(db))}\n', encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    command = [sys.executable, *(["-m", "cProfile", "-o", str(profile)] if profile else []), "-m", "series_archiver",
               "import", "--config", str(config), "--json", str(warc)]
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False).returncode == 0:
        command = ["unshare", "-n", *command]  # an import never fetches: make sure of it
    started = time.perf_counter()
    out_path, err_path = db.with_suffix(".out"), db.with_suffix(".err")
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=REPO)
    samples: list[tuple[float, int]] = []
    tree_samples: list[tuple[float, int, int]] = []  # (seconds, PSS of the import and its reader processes, how many)
    status_path = Path(f"/proc/{proc.pid}/status")
    load_before = os.getloadavg()[0]
    while True:
        # wait4 gives this child's usage and its reaped descendants' (RUSAGE_CHILDREN would be of all so far).
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        rss = _vm_rss_kb(status_path)
        at = round(time.perf_counter() - started, 2)
        if rss:
            samples.append((at, rss))
        tree = _tree_pss_kb(proc.pid)
        if tree[0]:
            tree_samples.append((at, *tree))
        time.sleep(0.25)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"series-archiver import {warc.name} failed (exit {proc.returncode}):\n{err_path.read_text()[-3000:]}")
    counts = json.loads(out_path.read_text())
    # wait4's usage is the process's and its reaped descendants' (the reader processes): CPU summed, RSS the largest.
    return {"seconds": seconds, "counts": counts, "pages_per_second": counts["pages"] / seconds,
            "peak_rss_kb": int(usage.ru_maxrss), "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "cpu_ms_per_page": 1000 * (usage.ru_utime + usage.ru_stime) / max(counts["pages"], 1),
            # Every process of the import (the writer and its forked readers), their pages shared
            # copy-on-write counted once (PSS), sampled every 0.25 s: what the import costs the machine.
            "peak_tree_pss_kb": max((t[1] for t in tree_samples), default=0),
            "processes": max((t[2] for t in tree_samples), default=1),
            "load_average": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
            "rss_samples_kb": samples[:: max(1, len(samples) // 40)],
            "tree_pss_samples_kb": tree_samples[:: max(1, len(tree_samples) // 40)]}


def _tree_pss_kb(pid: int) -> tuple[int, int]:
    """The PSS of ``pid`` and its descendants (``smaps_rollup``), and how many processes that is; (0, 0) once it is gone."""
    total, count, todo = 0, 0, [pid]
    while todo:
        current = todo.pop()
        try:
            text = Path(f"/proc/{current}/smaps_rollup").read_text()
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(p) for p in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
        found = re.search(r"^Pss:\s+(\d+)", text, re.MULTILINE)
        if found:
            total += int(found.group(1))
            count += 1
    return total, count


def _vm_rss_kb(status: Path) -> int:
    """VmRSS of the import's process now (``unshare`` execs it: same pid), for the curve over time."""
    try:
        text = status.read_text()
    except OSError:
        return 0
    return int(m.group(1)) if (m := re.search(r"VmRSS:\s+(\d+)", text)) else 0


def import_figures(work: Path, log: Log, *, sizes: tuple[int, ...] = (2_500, 5_000, 10_000), profile: Path | None = None) -> dict[str, Any]:
    """Import WARCs of each size into empty archives; pages/s and peak RSS of the largest, RSS at each."""
    site_dir = work / f"site-{sizes[-1]}"
    started = time.perf_counter()
    manifest = sitegen.ensure_site(site_dir, sizes[-1])
    log(f"site of {sizes[-1]:,} installments ready ({time.perf_counter() - started:.0f} s)")
    out: dict[str, Any] = {"sizes": {}}
    for size in sizes:
        warc = work / f"import-{size}-f{sitegen.FORMAT}.warc.gz"
        if not warc.exists():
            log(f"writing a WARC of {size:,} installments …")
            info = write_warc(site_dir, manifest, warc, size)
        else:
            info = {"bytes": warc.stat().st_size}
        log(f"series-archiver import of {warc.name} …")
        result = run_import(warc, work / f"import-{size}.db")
        result["warc"] = info
        result["peak_rss_mb"] = result["peak_rss_kb"] / 1024
        result["peak_tree_mb"] = result["peak_tree_pss_kb"] / 1024
        log(f"  {result['counts']['pages']} pages in {result['seconds']:.1f} s = {result['pages_per_second']:.0f} pages/s "
            f"(CPU {result['cpu_ms_per_page']:.1f} ms a page, all processes), peak PSS of the {result['processes']} processes "
            f"{result['peak_tree_mb']:.0f} MB, largest RSS {result['peak_rss_mb']:.0f} MB; load average {result['load_average']}")
        out["sizes"][str(size)] = result
    if profile:
        # A run of its own: the profiler slows what it watches, so the figures above come from runs without it.
        log(f"series-archiver import of {sizes[0]:,} installments again, under cProfile …")
        run_import(work / f"import-{sizes[0]}-f{sitegen.FORMAT}.warc.gz", work / "import-profiled.db", profile=profile / "import.prof")
        out["profile"] = profile_summary(profile / "import.prof", top=25)
    largest, smallest = out["sizes"][str(sizes[-1])], out["sizes"][str(sizes[0])]
    out["pages_per_second"] = largest["pages_per_second"]
    out["cpu_ms_per_page"] = largest["cpu_ms_per_page"]
    # Memory is that of every process of the import (PSS: shared pages once), as the machine sees it.
    out["peak_rss_mb"] = largest["peak_tree_mb"] or largest["peak_rss_mb"]
    out["rss_growth"] = out["peak_rss_mb"] / max(smallest["peak_tree_mb"] or smallest["peak_rss_mb"], 1e-6)
    out["largest_process_rss_growth"] = largest["peak_rss_mb"] / max(smallest["peak_rss_mb"], 1e-6)
    out["met"] = {
        "import_pages_per_second": out["pages_per_second"] >= SCALE_TARGETS["import_pages_per_second"],
        "import_rss_mb": out["peak_rss_mb"] < SCALE_TARGETS["import_rss_mb"],
        "import_rss_growth": out["rss_growth"] < SCALE_TARGETS["import_rss_growth"],
    }
    return out


# --- storage: furniture-only re-fetches ------------------------------------------------------


_FURNITURE_AT = "var tkp_ad_slots = ["


def furniture_figures(work: Path, log: Log, *, articles: int = 1000, passes: int = 100, workers: int = 4) -> dict[str, Any]:
    """Crawl ``articles`` installments, then ``passes`` passes each after every page's furniture changed.

    The change is a new ad-render token in the page's ``<head>`` script,
    what a live page's furniture does between two fetches; the article is
    untouched, so no pass may make a version. Sizes are the archive file's
    after a WAL checkpoint.
    """
    storage = _storage_module()
    if storage is not None:
        log(f"furniture: bench/storage.py's measurement, {articles} installments, {passes} passes after the first …")
        g = storage.furniture_growth(articles=articles, passes=passes + 1, work=work)
        return {
            "articles": articles, "passes": passes, "sizes": g["sizes"], "per_refetch_bytes": g["bytes_per_refetch"],
            "per_refetch_bytes_mean": g["bytes_per_refetch"],
            # After 100 passes: measured when 100 were run, else extrapolated from the passes run
            # (each pass adds the same rows: one delta capture and one log row per installment).
            "growth": g["sizes"][-1] / g["sizes"][0] if passes >= 100 else g["ratio_after_100"],
            "growth_measured": g["sizes"][-1] / g["sizes"][0], "extrapolated": passes < 100,
            "versions_made": 0,  # storage.furniture_growth raises if a pass made one
            "storage": g,
            "met": {"furniture_refetch_bytes": g["bytes_per_refetch"] <= SCALE_TARGETS["furniture_refetch_bytes"],
                    "furniture_passes_growth": g["ratio_after_100"] <= SCALE_TARGETS["furniture_passes_growth"]},
        }
    from bench import run
    from series_archiver.demo.replica import ReplicaSite

    site_dir = work / f"site-{articles}"
    manifest = sitegen.ensure_site(site_dir, articles)
    db = run.fresh_db(work / f"furniture-{articles}.db")
    urls = [a["url"] for a in manifest["articles"]]
    originals = {u: _site_file(site_dir, u).read_text(encoding="utf-8") for u in urls}
    sizes: list[int] = []
    passes_out: list[dict[str, Any]] = []
    with ReplicaSite(site_dir) as site:
        origins = dict(site.origins)
        spec = run.crawl_spec(manifest, origins, db, workers)
        log(f"furniture: cold crawl of {articles} installments …")
        cold = run.run_child(spec)
        sizes.append(run.archive_size(db)["bytes"])
        for k in range(1, passes + 1):
            for u in urls:
                site.set_page(u, originals[u].replace(_FURNITURE_AT, f'var tkp_ad_render = "r{k:04d}";\n{_FURNITURE_AT}', 1))
            again = run.run_child(spec)
            sizes.append(run.archive_size(db)["bytes"])
            passes_out.append({"seconds": round(again["seconds"], 2), "fetched": again["counts"]["fetched"],
                               "new_versions": again["counts"]["new_versions"], "bytes": sizes[-1]})
            if k <= 3 or k % 10 == 0:
                log(f"  pass {k}/{passes}: {sizes[-1] / 2**20:.1f} MB, +{(sizes[-1] - sizes[-2]) / articles:,.0f} bytes a page")
    per_refetch = (sizes[1] - sizes[0]) / articles
    growth = sizes[-1] / sizes[0]
    return {
        "articles": articles,
        "passes": passes,
        "cold_seconds": cold["seconds"],
        "sizes": sizes,
        "per_refetch_bytes": per_refetch,
        "per_refetch_bytes_mean": (sizes[-1] - sizes[0]) / (articles * passes),
        "growth": growth,
        "versions_made": sum(p["new_versions"] for p in passes_out),
        "passes_detail": passes_out,
        "per_table_after": run.archive_size(db)["per_table"],
        "met": {"furniture_refetch_bytes": per_refetch <= SCALE_TARGETS["furniture_refetch_bytes"],
                "furniture_passes_growth": growth <= SCALE_TARGETS["furniture_passes_growth"]},
    }


def _storage_module() -> Any:
    """bench/storage.py (the storage work's measurement: sizes as the pages in use), where it is there."""
    try:
        from bench import storage
    except ImportError:
        return None
    return storage if hasattr(storage, "furniture_growth") else None


# --- crawl: from bench/run.py -----------------------------------------------------------------


def crawl_figures(work: Path, log: Log, *, articles: int = 1000, workers: int = 4, repeat: int = 2) -> dict[str, Any]:
    """Cold-crawl CPU per page and the no-change pass's share of the cold crawl, as bench/run.py measures them."""
    from bench import run

    results, problems = run.bench(articles, workers, repeat, None, log)
    f = run.figures(results)
    return {
        "cold_cpu_ms_per_page": f["cold_cpu_ms_per_page"],
        "cold_pages_per_second": f["cold_pages_per_second"],
        "nochange_time_fraction": f["nochange_time_fraction"],
        "nochange_cpu_fraction": f["nochange_cpu_fraction"],
        "nochange_seconds": f["nochange_seconds"],
        "cold_seconds": f["cold_seconds"],
        "problems": problems,
        "met": {"cold_cpu_ms_per_page": f["cold_cpu_ms_per_page"] <= SCALE_TARGETS["cold_cpu_ms_per_page"],
                "nochange_time_fraction": f["nochange_time_fraction"] <= SCALE_TARGETS["nochange_time_fraction"]},
    }


# --- the figures the issue names ---------------------------------------------------------------------

# The name of each figure in ``scale.figures.targets`` (issue 25), its target and whether a lower value is better.
TARGET_FIGURES = {
    "import_pages_per_second": ("import", 300.0, False),
    "import_rss_growth": ("import", 1.2, True),
    "furniture_refetch_bytes": ("furniture", 1024.0, True),
    "furniture_passes_growth": ("furniture", 1.2, True),
    "common_word_first_page_ms_1m": ("search", 100.0, True),
    "two_char_query_ms_1m": ("search", 100.0, True),
    "three_char_query_ms_1m": ("search", 100.0, True),
    "cold_cpu_ms_per_page": ("crawl", 5.0, True),
    "nochange_time_fraction": ("crawl", 0.10, True),
}
# Strictly under the target (``<``), where the issue says so; the others at most (``≤``) or at least (``≥``).
_STRICT = {"common_word_first_page_ms_1m", "two_char_query_ms_1m", "three_char_query_ms_1m"}


def _target_value(name: str, f: dict[str, Any]) -> tuple[float | None, str]:
    """The measured value of one named figure from its part's figures, and what it is."""
    if name == "import_pages_per_second":
        return f["pages_per_second"], "pages/s importing the 10,000-page WARC"
    if name == "import_rss_growth":
        return f["rss_growth"], "peak RSS importing 10,000 pages / 2,500"
    if name == "furniture_refetch_bytes":
        return f["per_refetch_bytes"], "archive growth per furniture-only re-fetch (pages in use), first pass after the cold crawl"
    if name == "furniture_passes_growth":
        return f["growth"], f"size after {f['passes']} furniture-only passes / after the cold crawl" + (" (extrapolated)" if f.get("extrapolated") else "")
    last = list(f.get("sizes", {}).values())[-1] if name.endswith("_1m") else {}
    if name == "common_word_first_page_ms_1m":
        return f["common_word_first_page_ms"], ("slowest first page (best of 3) among words in more than half the versions: "
                                                + ", ".join(f["common_words_over_half"]))
    if name == "two_char_query_ms_1m":
        return last["median_ms"]["two"], "median first page (best of 3) of 25 given names"
    if name == "three_char_query_ms_1m":
        return last["median_ms"]["three"], "median first page (best of 3) of 25 full names"
    if name == "cold_cpu_ms_per_page":
        return f["cold_cpu_ms_per_page"], "CPU ms a page, cold crawl of 1,000 installments"
    return f["nochange_time_fraction"], "no-change pass time / cold crawl time"


def target_entries(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``scale.figures.targets``: for each named figure whose part was measured, its value, target and whether met.

    Each carries the part's load average before and after it ran: the machine is shared, and other
    work only ever slows a figure down.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, (part, target, lower) in TARGET_FIGURES.items():
        f = figures.get(part)
        if not isinstance(f, dict):
            continue
        value, what = _target_value(name, f)
        if value is None:
            continue
        met = (value < target if name in _STRICT else value <= target) if lower else value >= target
        out[name] = {"value": round(float(value), 4), "target": target, "met": bool(met), "what": what,
                     "when": f.get("when"), "load_average": f.get("load_average")}
    return out


# --- the run -------------------------------------------------------------------------------------


def profile_summary(path: Path, top: int = 12) -> list[str]:
    """The functions with the most cumulative time in a cProfile dump, as lines."""
    stream = io.StringIO()
    pstats.Stats(str(path), stream=stream).sort_stats("cumulative").print_stats(top)
    return [line for line in stream.getvalue().splitlines() if line.strip()][-top - 1 :]


PARTS = ("search", "import", "furniture", "crawl")


def scale(
    work: Path, log: Log, *, profile: Path | None = None, small: bool = False, passes: int | None = None,
    parts: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """The scale figures (``parts`` of them, default all). ``small``: tiny sizes, for the smoke test (the code, not the figures)."""
    unknown = set(parts or ()) - set(PARTS)
    if unknown:
        raise SystemExit(f"bench/run.py --parts: unknown {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    wanted = parts or PARTS
    figures: dict[str, Any] = {}
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], dict[str, Any]]) -> None:
        if name not in wanted:
            return
        started = time.perf_counter()
        load = os.getloadavg()
        figures[name] = fn()
        timings[name] = round(time.perf_counter() - started, 1)
        # The machine is shared: how busy it was says how far to trust a time.
        figures[name]["load_average"] = {"before": [round(x, 2) for x in load], "after": [round(x, 2) for x in os.getloadavg()]}
        log(f"{name}: done in {timings[name]:.0f} s (load average {load[0]:.1f} before, {os.getloadavg()[0]:.1f} after)")

    if small:
        timed("search", lambda: search_figures(work, log, sizes=(200, 400), queries=5, profile=profile))
        timed("import", lambda: import_figures(work, log, sizes=(20, 40), profile=profile))
        timed("furniture", lambda: furniture_figures(work, log, articles=20, passes=passes or 2, workers=2))
    else:
        timed("search", lambda: search_figures(work, log, profile=profile))
        timed("import", lambda: import_figures(work, log, profile=profile))
        timed("furniture", lambda: furniture_figures(work, log, passes=passes or 100))
        timed("crawl", lambda: crawl_figures(work, log))
    figures["seconds"] = timings
    return figures


def _minutes(seconds: float | None) -> str:
    return "? min (the build was resumed)" if seconds is None else f"{seconds / 60:.0f} min"


def scale_table(s: dict[str, Any]) -> str:
    """The scale figures as bench/README.md's Markdown table."""
    rows: list[tuple[str, str, str, bool | None]] = []
    t = SCALE_TARGETS
    if "furniture" in s:
        f = s["furniture"]
        rows.append(("a re-fetch that changes only furniture: archive growth", f"{f['per_refetch_bytes']:,.0f} bytes "
                     f"(mean over {f['passes']} passes {f['per_refetch_bytes_mean']:,.0f})", f"≤ {t['furniture_refetch_bytes'] / 1024:.0f} KB",
                     f["met"]["furniture_refetch_bytes"]))
        after = (f"{f['growth']:.2f}× extrapolated from {f['passes']} passes ({f['growth_measured']:.2f}× after them: "
                 if f.get("extrapolated") else f"{f['growth']:.2f}× (")
        rows.append((f"the {f['articles']:,}-installment archive after 100 furniture-only passes / after the first crawl",
                     f"{after}{f['sizes'][0] / 2**20:,.1f} MB → {f['sizes'][-1] / 2**20:,.1f} MB; {f['versions_made']} versions made)",
                     f"≤ {t['furniture_passes_growth']}×", f["met"]["furniture_passes_growth"]))
    if "search" in s:
        sz = s["search"]["sizes"]
        first, last = next(iter(sz)), list(sz)[-1]
        for kind, word in (("two", "two-character"), ("three", "three-character")):
            rows.append((f"median {word} query at {int(last):,} versions",
                         f"{sz[last]['median_ms'][kind]:.1f} ms ({sz[first]['median_ms'][kind]:.1f} ms at {int(first):,}: "
                         f"{s['search']['growth'][kind]:.2f}×; median {sz[last]['median_hits'][kind]:.0f} versions matching)",
                         f"< {t['search_ms']:.0f} ms", s["search"]["met"][kind]))
        common = ", ".join(f"{q['query']} {q['ms']:.0f} ms ({q['versions']:,} versions, {q['articles']:,} articles)"
                           for q in sz[last]["queries"].get("common", []))
        if common:
            rows.append((f"first page of a word in much of the archive, at {int(last):,} versions", common, f"< {t['search_ms']:.0f} ms "
                         "(words in more than half the versions)", s["search"]["met"].get("common")))
        one = ", ".join(f"{q['query']} {q['ms']:.0f} ms ({q['versions']:,} versions)" for q in sz[last]["queries"].get("one", []))
        if one:
            rows.append((f"first page of a single character, at {int(last):,} versions", one, "", None))
        rows.append((f"search archive of {int(last):,} versions: size, build", f"{sz[last]['bytes'] / 2**30:.2f} GB "
                     f"(search_fts {sz[last]['per_table'].get('search_fts', 0) / 2**30:.2f}, search_bigrams "
                     f"{sz[last]['per_table'].get('search_bigrams', 0) / 2**30:.2f}); built in {_minutes(sz[last]['build_seconds'])}", "", None))
    if "import" in s:
        i = s["import"]
        per = ", ".join(f"{int(k):,}: {v.get('peak_tree_mb') or v['peak_rss_mb']:.0f} MB" for k, v in i["sizes"].items())
        last = list(i["sizes"])[-1]
        rows.append((f"`import` of a {int(last):,}-page WARC: pages/s", f"{i['pages_per_second']:.0f} pages/s "
                     f"({i['sizes'][last]['seconds']:.0f} s)", f"≥ {t['import_pages_per_second']:.0f}", i["met"]["import_pages_per_second"]))
        rows.append(("`import`: peak memory of all its processes (PSS), and as the file grows", f"{i['peak_rss_mb']:.0f} MB ({per}; {i['rss_growth']:.2f}×)",
                     f"< {t['import_rss_mb']:.0f} MB, flat (< {t['import_rss_growth']}×)",
                     i["met"]["import_rss_mb"] and i["met"]["import_rss_growth"]))
    if "crawl" in s:
        c = s["crawl"]
        rows.append(("cold-crawl CPU per page", f"{c['cold_cpu_ms_per_page']:.1f} ms", f"≤ {t['cold_cpu_ms_per_page']:.0f} ms",
                     c["met"]["cold_cpu_ms_per_page"]))
        rows.append(("the no-change pass / the cold crawl's time", f"{c['nochange_time_fraction']:.1%} (by CPU {c['nochange_cpu_fraction']:.1%})",
                     f"≤ {t['nochange_time_fraction']:.0%}", c["met"]["nochange_time_fraction"]))
    lines = ["| figure | measured | target | met |", "| --- | --- | --- | --- |"]
    for name, measured, target, met in rows:
        lines.append(f"| {name} | {measured} | {target} | {'' if met is None else ('yes' if met else '**no**')} |")
    return "\n".join(lines)

