"""Extraction benchmark: the generic path beside the extractors people use instead, on real pages.

    .venv/bin/pip install -e '.[bench]'      # the peers (trafilatura is a dependency already)
    .venv/bin/python bench/extraction.py     # all pages of ../shared/real-pages/, a few minutes
    .venv/bin/python bench/extraction.py --only series-archiver --pages DIR

The peers, each as its authors ship it:

- trafilatura 2.x with its defaults, and with ``favor_precision=True, include_comments=False``;
- readability-lxml, its current release (0.9), in a process of its own (bench/peer_worker.py) under
  ``--readability-python`` (default: ``.venv-readability/bin/python`` when present): 0.9 needs
  chardet < 6 and the archiver's test extra (wacz) chardet >= 6, so the archiver's venv resolves
  0.8.4.1. Without that venv it runs in-process, whatever release is installed; the table and the
  results say which release ran and where;
- resiliparse (``extract_plain_text(main_content=True)``); GNE;
- jusText: its English stoplist on English pages; on Chinese pages, which no stoplist fits, length
  limits in characters for Chinese (a paragraph under 20 is short, over 60 long) with the stopword
  thresholds at 0, so length alone decides;
- magic-html, which needs Python >= 3.12: it runs in a process of its own (bench/peer_worker.py)
  under ``--magic-python`` (default: ``.venv-magic/bin/python`` when present). Without one the
  table says it was not run and why.

The pages and their hand-marked main text are ``../shared/real-pages/`` (see its README); nothing of
them is copied here. Every extractor gets the same text: the page's bytes decoded by series-archiver's
fetch decoder (the pages carry no headers, so the decoder reads BOM, ``<meta>`` and detection, as on
a fetch). The extractors take turns page by page, so a load that comes and goes on a shared machine
weighs on all of them alike.

Score, per page: order-aware character precision, recall and F1 (longest common subsequence of the
two texts after NFKC and removing all whitespace); an empty result scores 0. Per language: mean and
median F1, the number of empty results, and CPU milliseconds per page (process time of the
extraction alone; for series-archiver, extract() and clean(), what the archive stores). Then every
page where series-archiver is more than 0.05 below the best peer on that page. Each page also falls
in one of two halves by a hash of its id (``half``): the generic path's rules were tuned looking at
the "tune" half only, so the "held" half shows how they carry to pages not looked at.

It prints the table and writes bench/extraction-results.json (figures and every page's F1; no text).
Figures are reported, not asserted: tests/test_real_pages.py guards the generic path's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
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
MAGIC_PYTHON = REPO / ".venv-magic" / "bin" / "python"
READABILITY_PYTHON = REPO / ".venv-readability" / "bin" / "python"
TARGETS = {"zh": 0.95, "en": 0.975}
MARGIN = 0.02  # above the best peer, per language
LOSS = 0.05  # a page where a peer beats series-archiver by more than this is listed
OURS = "series-archiver"

# (html, url, lang) -> (text, CPU seconds of that extraction)
Extractor = Callable[[str, str, str], tuple[str, float]]


class Unavailable(Exception):
    """A peer that cannot run here, with the reason the table prints."""


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


def half(page_id: str) -> str:
    """The half a page falls in, by a hash of its id: "tune" (looked at while tuning) or "held"."""
    return "tune" if int(hashlib.sha256(page_id.encode()).hexdigest()[:8], 16) % 2 == 0 else "held"


# --- the extractors ----------------------------------------------------------------


def _timed(run: Callable[[str, str, str], str]) -> Extractor:
    def timed(html: str, url: str, lang: str) -> tuple[str, float]:
        t0 = time.process_time()
        text = run(html, url, lang)
        return text, time.process_time() - t0

    return timed


def _series_archiver() -> Extractor:
    from series_archiver.errors import ExtractError
    from series_archiver.read.clean import clean
    from series_archiver.read.extract import extract

    def run(html: str, url: str, lang: str) -> str:
        try:
            return clean([extract(html, url)]).text
        except ExtractError:
            return ""

    return _timed(run)


def _trafilatura(**options: Any) -> Callable[[], Extractor]:
    def factory() -> Extractor:
        import trafilatura

        def run(html: str, url: str, lang: str) -> str:
            return trafilatura.extract(html, url=url, **options) or ""

        return _timed(run)

    return factory


def _readability_in_process() -> Extractor:
    import lxml.html
    from readability import Document

    def run(html: str, url: str, lang: str) -> str:
        try:
            summary = Document(html, url=url).summary(html_partial=True)
        except Exception:  # readability raises on pages it cannot read: that is an empty result
            return ""
        return str(lxml.html.fromstring(summary).text_content()) if summary.strip() else ""

    return _timed(run)


def _readability(python: Path | None) -> Extractor:
    """readability-lxml in its own venv (its current release), else in this process."""
    if python is not None and python.exists():
        return _Worker("readability-lxml", python)
    return _readability_in_process()


def _resiliparse() -> Extractor:
    from resiliparse.extract.html2text import extract_plain_text

    def run(html: str, url: str, lang: str) -> str:
        return str(extract_plain_text(html, main_content=True) or "")

    return _timed(run)


def _justext() -> Extractor:
    import justext

    english = justext.get_stoplist("English")

    def run(html: str, url: str, lang: str) -> str:
        if lang == "zh":
            # No stoplist fits Chinese: length alone decides, in characters (about a third of English's 70/200).
            options: dict[str, Any] = {"length_low": 20, "length_high": 60, "stopwords_low": 0.0, "stopwords_high": 0.0}
            stoplist: frozenset[str] = frozenset()
        else:
            options, stoplist = {}, english
        try:
            paragraphs = justext.justext(html, stoplist, **options)
        except Exception:  # as above
            return ""
        return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)

    return _timed(run)


def _gne() -> Extractor:
    from gne import GeneralNewsExtractor

    extractor = GeneralNewsExtractor()

    def run(html: str, url: str, lang: str) -> str:
        try:
            return str(extractor.extract(html).get("content") or "")
        except Exception:  # as above
            return ""

    return _timed(run)


class _Worker:
    """A peer in its worker process (bench/peer_worker.py), under a Python of its own."""

    def __init__(self, peer: str, python: Path) -> None:
        self.proc = subprocess.Popen(
            [str(python), str(BENCH / "peer_worker.py"), peer],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline().strip()
        if not ready:
            self.proc.wait(timeout=30)
            raise Unavailable(f"{python} could not start {peer} (is it installed there?)")
        about = json.loads(ready)
        self.version = f"{about['version']} (in Python {about['python']}, a process of its own)"

    def __call__(self, html: str, url: str, lang: str) -> tuple[str, float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"html": html, "url": url}, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        return str(answer["text"]), float(answer["cpu"])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _magic_html(python: Path | None) -> Extractor:
    """magic-html in its worker process, under a Python >= 3.12."""
    if python is None or not python.exists():
        raise Unavailable(
            f"needs Python >= 3.12 and this is {platform.python_version()}; no --magic-python given"
            f" and no {MAGIC_PYTHON.relative_to(REPO)} (python3.12 -m venv .venv-magic && .venv-magic/bin/pip install magic-html)"
        )
    return _Worker("magic-html", python)


# name -> (factory, what to install)
EXTRACTORS: dict[str, tuple[Callable[..., Extractor], str]] = {
    OURS: (_series_archiver, ""),
    "trafilatura": (_trafilatura(), "trafilatura"),
    "trafilatura-precision": (_trafilatura(favor_precision=True, include_comments=False), "trafilatura"),
    "readability-lxml": (_readability, "readability-lxml"),
    "resiliparse": (_resiliparse, "resiliparse"),
    "justext": (_justext, "justext"),
    "gne": (_gne, "gne"),
    "magic-html": (_magic_html, "magic-html (Python >= 3.12)"),
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


def measure(runs: dict[str, Extractor], pages: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """Every extractor on every page, in turn page by page: {name: {page id: {"f1", "cpu", "empty"}}}."""
    found: dict[str, dict[str, dict[str, float]]] = {name: {} for name in runs}
    for entry in pages:
        for name, run in runs.items():
            text, cpu = run(entry["html"], entry["url"], entry["lang"])
            _, _, f1 = score(text, entry["truth_text"])
            found[name][entry["id"]] = {"f1": f1, "cpu": cpu, "empty": 0.0 if _squeeze(text) else 1.0}
    return found


def summarise(found: dict[str, dict[str, dict[str, float]]], pages: list[dict[str, Any]]) -> dict[str, Any]:
    """Per extractor and language (and per half): mean, median, empty, CPU ms per page."""
    langs = sorted({p["lang"] for p in pages}, key=lambda lang: (lang != "zh", lang))
    out: dict[str, Any] = {}
    for name, per_page in found.items():
        out[name] = {}
        for lang in langs:
            for part in ("all", "tune", "held"):
                ids = [p["id"] for p in pages if p["lang"] == lang and (part == "all" or half(p["id"]) == part)]
                if not ids:
                    continue
                f1 = [per_page[i]["f1"] for i in ids]
                key = lang if part == "all" else f"{lang}-{part}"
                out[name][key] = {
                    "pages": len(ids),
                    "mean_f1": round(statistics.fmean(f1), 4),
                    "median_f1": round(statistics.median(f1), 4),
                    "empty": int(sum(per_page[i]["empty"] for i in ids)),
                    "cpu_ms_per_page": round(1000 * statistics.fmean(per_page[i]["cpu"] for i in ids), 2),
                }
    return out


def losses(found: dict[str, dict[str, dict[str, float]]], pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pages where the best peer on that page beats series-archiver by more than LOSS."""
    listed = []
    for p in pages:
        peers = {name: per_page[p["id"]]["f1"] for name, per_page in found.items() if name != OURS}
        if OURS not in found or not peers:
            continue
        best = max(peers, key=lambda name: peers[name])
        ours = found[OURS][p["id"]]["f1"]
        if peers[best] - ours > LOSS:
            listed.append(
                {
                    "id": p["id"],
                    "lang": p["lang"],
                    "half": half(p["id"]),
                    OURS: round(ours, 3),
                    "peer": best,
                    "peer_f1": round(peers[best], 3),
                }
            )
    return listed


def print_table(summary: dict[str, Any], skipped: dict[str, str], lost: list[dict[str, Any]]) -> None:
    print(f"{'extractor':<22} {'lang':<8} {'pages':>5} {'mean F1':>8} {'median':>7} {'empty':>5} {'CPU ms/page':>11}")
    keys = sorted({k for res in summary.values() for k in res}, key=lambda k: (k.split("-")[0] != "zh", k))
    for key in keys:
        for name, res in summary.items():
            if key in res:
                r = res[key]
                print(
                    f"{name:<22} {key:<8} {r['pages']:>5} {r['mean_f1']:>8.4f} {r['median_f1']:>7.4f} "
                    f"{r['empty']:>5} {r['cpu_ms_per_page']:>11.2f}"
                )
        print()
    for name, reason in skipped.items():
        print(f"not run: {name}: {reason}")
    if OURS in summary:
        for lang in ("zh", "en"):
            peers = {n: r[lang]["mean_f1"] for n, r in summary.items() if n != OURS and lang in r}
            if lang in summary[OURS] and peers:
                best = max(peers, key=lambda n: peers[n])
                ours = summary[OURS][lang]["mean_f1"]
                print(
                    f"{lang}: {OURS} {ours:.4f} (target {TARGETS[lang]}), best peer {best} {peers[best]:.4f}, "
                    f"margin {ours - peers[best]:+.4f} (target +{MARGIN})"
                )
    print(f"pages where a peer beats {OURS} by more than {LOSS}: {len(lost)}")
    for loss in lost:
        print(f"  {loss['id']:<48} {loss['lang']} {loss['half']}  {OURS} {loss[OURS]:.3f}  {loss['peer']} {loss['peer_f1']:.3f}")


def _versions(runs: dict[str, Extractor]) -> dict[str, str]:
    """The release of each peer that ran, and where (this process or a worker's Python)."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for dist in ("trafilatura", "readability-lxml", "resiliparse", "justext", "gne", "lxml"):
        try:
            versions[dist] = f"{version(dist)} (in this process)" if dist == "readability-lxml" else version(dist)
        except PackageNotFoundError:
            versions[dist] = "not installed"
    versions["magic-html"] = "not run"
    for name, run in runs.items():
        if isinstance(run, _Worker):
            versions[name] = run.version
    return versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=PAGES, help="the real-pages folder (or another of its layout)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--only", action="append", choices=list(EXTRACTORS), help="run only these extractors")
    parser.add_argument(
        "--magic-python",
        type=Path,
        default=Path(os.environ.get("BENCH_MAGIC_PYTHON", MAGIC_PYTHON)),
        help="a Python >= 3.12 with magic-html installed",
    )
    parser.add_argument(
        "--readability-python",
        type=Path,
        default=Path(os.environ.get("BENCH_READABILITY_PYTHON", READABILITY_PYTHON)),
        help="a Python with readability-lxml's current release installed (else it runs in this process)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="write the results here (default: bench/extraction-results.json for the real pages)"
    )
    parser.add_argument("--no-write", action="store_true", help="write no results file")
    args = parser.parse_args(argv)
    if not (args.pages / "index.jsonl").exists():
        print(f"no real pages at {args.pages}: nothing to measure (see the README of shared/real-pages)")
        return 1
    pages = load_pages(args.pages, args.limit)
    runs: dict[str, Extractor] = {}
    skipped: dict[str, str] = {}
    for name in args.only or list(EXTRACTORS):
        factory, package = EXTRACTORS[name]
        try:
            interpreter = {"magic-html": args.magic_python, "readability-lxml": args.readability_python}
            runs[name] = factory(interpreter[name]) if name in interpreter else factory()
        except ImportError as exc:
            skipped[name] = f"{package} is not installed ({exc}); pip install -e '.[bench]' brings it"
            continue
        except Unavailable as exc:
            skipped[name] = str(exc)
            continue
        runs[name](pages[0]["html"], pages[0]["url"], pages[0]["lang"])  # warm-up: imports and caches are not a page's cost
    try:
        found = measure(runs, pages)
    finally:
        for run in runs.values():
            if isinstance(run, _Worker):
                run.close()
    summary = summarise(found, pages)
    lost = losses(found, pages)
    versions = _versions(runs)
    print_table(summary, skipped, lost)
    print("ran: " + ", ".join(f"{name} {release}" for name, release in versions.items()))
    out = args.out or (RESULTS if args.pages == PAGES and not args.limit and not args.only else None)
    if out is not None and not args.no_write:
        out.write_text(
            json.dumps(
                {
                    "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": {"python": platform.python_version(), "platform": platform.platform()},
                    "versions": versions,
                    "targets": {"mean_f1": TARGETS, "above_best_peer": MARGIN, "cpu": "at most trafilatura's (defaults) per page"},
                    "not_run": skipped,
                    "results": summary,
                    "losses_over_0.05": lost,
                    "pages": {name: {i: round(v["f1"], 4) for i, v in per_page.items()} for name, per_page in found.items()},
                },
                ensure_ascii=False,
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
