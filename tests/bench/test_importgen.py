"""bench/importgen.py: the WARC of the benchmark site that ``import`` is measured on, imported whole.

Speed is the benchmark's business, never asserted here.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from tests.support.paths import REPO

# `bench` is imported as a package from the repository root.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import importgen, sitegen


def test_the_warc_holds_the_benchmark_site_and_imports_into_one_version_per_installment(tmp_path: Path) -> None:
    warc = tmp_path / "site.warc.gz"
    info = importgen.write_warc(warc, pages=7, per_list=3)
    assert (info["pages"], info["list_pages"], info["records"]) == (7, 3, 1 + 2 * 10)
    assert info["bytes"] == warc.stat().st_size and info["html_bytes"] >= 7 * sitegen.MIN_PAGE_BYTES
    db = tmp_path / "import.db"
    figures = importgen.time_import(warc, db)
    result = figures["result"]
    assert (result["new_articles"], result["new_versions"], result["failed"], result["pages"]) == (7, 7, 0, 10)
    assert figures["pages"] == 10 and figures["peak_rss_mb"] > 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        got = conn.execute("SELECT installment, title FROM articles ORDER BY installment").fetchall()
    finally:
        conn.close()
    assert [n for n, _ in got] == list(range(1, 8))
    assert all(title.startswith(sitegen.SERIES + sitegen.installment_mark(n)) for n, title in got)
