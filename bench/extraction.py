"""Extraction benchmark: the generic path beside trafilatura, readability-lxml and GNE on real pages.

    .venv/bin/pip install -e '.[bench]'        # the peers: readability-lxml, gne (and rapidfuzz, a fast LCS)
    .venv/bin/python bench/extraction.py       # all pages of ../shared/real-pages/, about a minute
    .venv/bin/python bench/extraction.py --limit 20 --only series-archiver

The pages and their hand-marked main text are ``../shared/real-pages/`` (see its
README); nothing of them is copied here. Every extractor gets the same text: the
page's bytes decoded by series-archiver's fetch decoder (the pages carry no
headers, so the decoder reads BOM, ``<meta>`` and detection, as on a fetch).

Score, per page: order-aware character precision, recall and F1 (longest common
subsequence of the two texts after NFKC and removing all whitespace); an empty
result scores 0. Per language: mean and median F1, the number of empty results,
and CPU milliseconds per page (process time of the extraction alone; for
series-archiver, extract() and clean(), what the archive stores).

A peer that is not installed is skipped with a line saying so. It prints a table
and writes bench/extraction-results.json. Figures are reported, not asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
PAGES = REPO.parent / "shared" / "real-pages"
RESULTS = BENCH / "extraction-results.json"
TARGETS = {"zh": 0.95, "en": 0.96}

Extractor = Callable[[str, str], str]


# --- scoring ---------------------------------------------------------------------


def _squeeze(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def lcs_length(a: str, b: str) -> int:
    """Length of the longest common subsequence of ``a`` and ``b`` (exact either way).

    rapidfuzz (the bench extra) does it bit-parallel in C; without it a minimal
    diff (diff-match-patch, a dependency of the archiver, no time limit) gives
    the same number, slower.
    """
    try:
        from rapidfuzz.distance import LCSseq
    except ImportError:
        from diff_match_patch import diff_match_patch

        dmp = diff_match_patch()
        dmp.Diff_Timeout = 0
        return sum(len(text) for op, text in dmp.diff_main(a, b, False) if op == 0)
    return int(LCSseq.similarity(a, b))


def score(predicted: str, truth: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of ``predicted`` against ``truth``, by characters, order-aware.

    >>> score("a b c", "abc")
    (1.0, 1.0, 1.0)
    >>> score("", "abc")
    (0.0, 0.0, 0.0)
    """
    p, t = _squeeze(predicted), _squeeze(truth)
    if not p or not t:
        return 0.0, 0.0, 0.0
    common = lcs_length(p, t)
    if common == 0:
        return 0.0, 0.0, 0.0
    precision, recall = common / len(p), common / len(t)
    return precision, recall, 2 * precision * recall / (precision + recall)


# --- the extractors ----------------------------------------------------------------


def _series_archiver() -> Extractor:
    from series_archiver.errors import ExtractError
    from series_archiver.read.clean import clean
    from series_archiver.read.extract import extract

    def run(html: str, url: str) -> str:
        try:
            return clean([extract(html, url)]).text
        except ExtractError:
            return ""

    return run


def _trafilatura() -> Extractor:
    import trafilatura

    def run(html: str, url: str) -> str:
        return trafilatura.extract(html, url=url) or ""

    return run


def _readability() -> Extractor:
    import lxml.html
    from readability import Document

    def run(html: str, url: str) -> str:
        try:
            summary = Document(html, url=url).summary(html_partial=True)
        except Exception:  # readability raises on pages it cannot read: that is an empty result
            return ""
        return str(lxml.html.fromstring(summary).text_content()) if summary.strip() else ""

    return run


def _gne() -> Extractor:
    from gne import GeneralNewsExtractor

    extractor = GeneralNewsExtractor()

    def run(html: str, url: str) -> str:
        try:
            return str(extractor.extract(html).get("content") or "")
        except Exception:  # as above
            return ""

    return run


EXTRACTORS: dict[str, tuple[Callable[[], Extractor], str]] = {
    "series-archiver": (_series_archiver, ""),
    "trafilatura": (_trafilatura, "trafilatura"),
    "readability-lxml": (_readability, "readability-lxml"),
    "gne": (_gne, "gne"),
}


# --- running ---------------------------------------------------------------------


def load_pages(root: Path = PAGES, limit: int | None = None) -> list[dict[str, Any]]:
    """The pages of the set, each with its decoded text and its truth."""
    import httpx

    from series_archiver.read.charset import decode_page

    pages = []
    for line in (root / "index.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        raw = (root / "pages" / f"{entry['id']}.html").read_bytes()
        decoded = decode_page(entry["url"], httpx.Headers({"Content-Type": "text/html"}), raw, len(raw))
        entry["html"] = decoded.text
        entry["truth_text"] = (root / "pages" / f"{entry['id']}.txt").read_text(encoding="utf-8")
        pages.append(entry)
    return pages[:limit] if limit else pages


def measure(runs: dict[str, Extractor], pages: list[dict[str, Any]]) -> dict[str, Any]:
    """Every extractor on every page, page by page: a load that comes and goes on a shared machine
    weighs on all of them alike."""
    raw: dict[str, dict[str, dict[str, list[float]]]] = {name: {} for name in runs}
    worst: dict[str, list[tuple[float, str]]] = {name: [] for name in runs}
    for entry in pages:
        for name, run in runs.items():
            t0 = time.process_time()
            text = run(entry["html"], entry["url"])
            cpu = time.process_time() - t0
            _, _, f1 = score(text, entry["truth_text"])
            lang = raw[name].setdefault(entry["lang"], {"f1": [], "cpu": [], "empty": []})
            lang["f1"].append(f1)
            lang["cpu"].append(cpu)
            lang["empty"].append(0.0 if _squeeze(text) else 1.0)
            worst[name].append((f1, entry["id"]))
    results: dict[str, Any] = {}
    for name, per_lang in raw.items():
        out: dict[str, Any] = {}
        for lang, v in sorted(per_lang.items()):
            out[lang] = {
                "pages": len(v["f1"]),
                "mean_f1": round(statistics.fmean(v["f1"]), 4),
                "median_f1": round(statistics.median(v["f1"]), 4),
                "empty": int(sum(v["empty"])),
                "cpu_ms_per_page": round(1000 * statistics.fmean(v["cpu"]), 2),
            }
        out["worst"] = [{"id": i, "f1": round(f, 3)} for f, i in sorted(worst[name])[:5]]
        results[name] = out
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=PAGES, help="the real-pages folder")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--only", action="append", choices=list(EXTRACTORS), help="run only these extractors")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/extraction-results.json")
    args = parser.parse_args(argv)
    if not (args.pages / "index.jsonl").exists():
        print(f"no real pages at {args.pages}: nothing to measure (see the README of shared/real-pages)")
        return 1
    pages = load_pages(args.pages, args.limit)
    runs: dict[str, Extractor] = {}
    for name in args.only or list(EXTRACTORS):
        factory, package = EXTRACTORS[name]
        try:
            runs[name] = factory()
        except ImportError as exc:
            print(f"skipped {name}: {package} is not installed ({exc}); pip install -e '.[bench]' brings it")
            continue
        runs[name](pages[0]["html"], pages[0]["url"])  # warm-up: imports and caches are not a page's cost
    results = measure(runs, pages)
    print(f"{'extractor':<18} {'lang':<4} {'pages':>5} {'mean F1':>8} {'median':>7} {'empty':>5} {'CPU ms/page':>11}")
    for name, res in results.items():
        for lang in ("zh", "en"):
            if lang in res:
                r = res[lang]
                print(
                    f"{name:<18} {lang:<4} {r['pages']:>5} {r['mean_f1']:>8.4f} {r['median_f1']:>7.4f} "
                    f"{r['empty']:>5} {r['cpu_ms_per_page']:>11.2f}"
                )
    if not args.no_write and not args.limit and not args.only:
        RESULTS.write_text(
            json.dumps(
                {
                    "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": {"python": platform.python_version(), "platform": platform.platform()},
                    "targets": {"mean_f1": TARGETS, "cpu": "at most trafilatura's per page"},
                    "results": results,
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"written to {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
