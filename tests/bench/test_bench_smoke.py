"""The benchmark's code works: its synthetic site, one crawl of it as the benchmark runs it, its checks.

Speed is the benchmark's business (``python bench/run.py``), never asserted here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO

# `bench` is imported as a package from the repository root, so the imports
# below wait for the root to be on sys.path.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import run, searchscale, sitegen
from series_archiver.demo.replica import ReplicaSite
from series_archiver.read.discovery import match_series
from series_archiver.settings import load_settings

pytestmark = pytest.mark.slow

ARTICLES = 24  # ①…⑳ and （二十一）… : both ways of numbering


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "site"
    sitegen.generate(out, ARTICLES, per_list=8)
    return out


def test_the_generated_site(site_dir: Path) -> None:
    manifest = sitegen.load_manifest(site_dir)
    assert manifest is not None and manifest["params"] == {"articles": ARTICLES, "per_list": 8, "seed": 8}
    assert len(manifest["articles"]) == ARTICLES and len(manifest["list_pages"]) == 3
    assert sitegen.MIN_PAGE_BYTES <= manifest["page_bytes"]["min"] <= manifest["page_bytes"]["max"] <= sitegen.MAX_PAGE_BYTES
    series = load_settings().series[0]
    for a in manifest["articles"]:
        page = (site_dir / "www.takungpao.com" / a["url"].split("www.takungpao.com/", 1)[1]).read_text(encoding="utf-8")
        assert len(page.encode("utf-8")) == a["bytes"]
        assert page.count(a["edit_old"]) == 1
        for title in (a["title"], a["list_title"]):
            match = match_series(title, series)
            assert match is not None and match.installment == a["number"], title
    assert [sitegen.installment_mark(n) for n in (1, 20, 21, 30, 99, 100)] == ["①", "⑳", "（二十一）", "（三十）", "（九十九）", "（100）"]
    # Written again only when asked for other parameters.
    assert sitegen.ensure_site(site_dir, ARTICLES, per_list=8) == manifest


def test_one_benchmark_crawl_and_its_checks(site_dir: Path, tmp_path: Path) -> None:
    manifest = sitegen.load_manifest(site_dir)
    assert manifest is not None
    db = tmp_path / "bench.db"
    with ReplicaSite(site_dir) as site:
        origins = dict(site.origins)
        mark = len(site.requests)
        cold = run.run_child(run.crawl_spec(manifest, origins, db, workers=2))
        served = run.served(site, mark)
        assert cold["counts"]["new_articles"] == ARTICLES
        assert cold["counts"]["new_versions"] == ARTICLES
        assert cold["counts"]["failed"] == 0
        assert cold["rss"]["vm_hwm_kb"] > 0 and cold["cpu_seconds"] > 0
        # robots.txt, three list pages, every installment: nothing else asked for.
        assert served["requests"] == 1 + 3 + ARTICLES and served["statuses"] == {"200": 1 + 3 + ARTICLES}

        before = run.snapshot(db)
        edited = manifest["articles"][5]
        site.edit(edited["url"], edited["edit_old"], edited["edit_new"])
        mark = len(site.requests)
        again = run.run_child(run.crawl_spec(manifest, origins, db, workers=2))
        served = run.served(site, mark)
    assert again["counts"]["new_versions"] == 1
    # Every installment but the edited one answers 304, and so do the three list pages (asked with their validators).
    assert served["statuses"]["304"] == ARTICLES - 1 + 3
    rows = run.rows_written(before, run.snapshot(db))
    assert rows["versions"] == {"inserted": 1, "updated": 0}
    assert rows["captures"]["inserted"] == 1
    assert rows["fetch_log"]["inserted"] == 3 + ARTICLES
    assert run.version_counts(db)[edited["url"]] == 2
    size = run.archive_size(db)
    assert size["bytes"] > 0 and size["per_table"].get("captures", 1) > 0


def test_the_diff_measure_recomposes_both_texts() -> None:
    result = run.time_diff()
    assert result["recomposes"]
    assert result["paragraphs"]["old_chars"] == 20_000
    assert 19_500 < result["one_block"]["old_chars"] < 20_000  # the same text without its line breaks
    for shape in ("paragraphs", "one_block"):
        assert result[shape]["chars_added"] > 0 and result[shape]["chars_removed"] > 0


def test_the_results_file_of_a_run_is_valid_json() -> None:
    results = REPO / "bench" / "results.json"
    if not results.exists():
        pytest.skip("bench/results.json is written by `python bench/run.py`")
    report = json.loads(results.read_text(encoding="utf-8"))
    assert {"machine", "figures", "targets", "details"} <= set(report)
    assert set(report["figures"]["met"]) == set(run.TARGETS) | {"nochange_versions_written", "edit_exact"}


def test_the_scale_figures_on_small_numbers(tmp_path: Path) -> None:
    """``bench/run.py --scale`` end to end at tiny sizes: each figure's machinery runs and its checks hold."""
    out = tmp_path / "results.json"
    assert run.main_scale(out, tmp_path / "prof", 2, work=tmp_path / "work", small=True) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))["scale"]["figures"]
    search = figures["search"]
    for size in ("200", "400"):
        at = search["sizes"][size]
        assert at["versions"] == int(size) and at["per_table"]["search_bigrams"] > 0
        # Every name looked up belongs to an article of the archive: each query finds its versions.
        assert all(q["versions"] >= searchscale.VERSIONS_PER_ARTICLE for kind in ("two", "three") for q in at["queries"][kind])
        # Page by page, the answer 0.2.0's search gave (every kind of query).
        assert at["pages_as_0_2_all_same"] and set(at["pages_as_0_2"]) == {"two", "three", "one", "common"}
    imported = figures["import"]
    for size, result in imported["sizes"].items():
        assert result["counts"]["new_articles"] == int(size) and result["counts"]["failed"] == 0
        assert result["peak_rss_kb"] > 0 and result["peak_tree_pss_kb"] > 0 and result["cpu_ms_per_page"] > 0
    assert any("cumulative" in line or "ncalls" in line for line in imported["profile"])
    furniture = figures["furniture"]
    assert furniture["versions_made"] == 0, "a change of furniture alone is never a version"
    assert len(furniture["sizes"]) == 3 and furniture["sizes"][-1] >= furniture["sizes"][0]
    # Each figure the issue names, for the parts measured, with its value, target, verdict and the load beside it.
    targets = figures["targets"]
    assert {"furniture_refetch_bytes", "furniture_passes_growth", "two_char_query_ms_1m", "three_char_query_ms_1m",
            "import_pages_per_second", "import_rss_growth"} <= set(targets)
    for entry in targets.values():
        assert {"value", "target", "met", "load_average"} <= set(entry) and isinstance(entry["met"], bool)
        assert len(entry["load_average"]["before"]) == 3
    assert targets["import_pages_per_second"]["value"] == pytest.approx(imported["pages_per_second"], rel=1e-3)
