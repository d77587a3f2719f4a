"""Log lines (logs): time level event url outcome, one line each."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from series_archiver.logs import LineFormatter

HK = ZoneInfo("Asia/Hong_Kong")


# --- log lines ---------------------------------------------------------------------------------


def test_a_log_line_is_time_level_event_url_outcome_on_one_line() -> None:
    record = logging.LogRecord("series_archiver.events", logging.INFO, __file__, 1, "%s", ("version 2:\nmore",), None)
    record.event = "new_version"
    record.url = "https://www.takungpao.com/x.html"
    record.created = datetime(2025, 12, 15, 2, 17, 4, tzinfo=UTC).timestamp()
    line = LineFormatter(HK).format(record)
    assert line == "2025-12-15T10:17:04+08:00 INFO new_version https://www.takungpao.com/x.html version 2: more"
    other = logging.LogRecord("series_archiver", logging.WARNING, __file__, 1, "fetch failed", (), None)
    other.created = record.created
    assert LineFormatter(HK).format(other) == "2025-12-15T10:17:04+08:00 WARNING series_archiver - fetch failed"
