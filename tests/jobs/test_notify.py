"""Notification (notify): a command or a JSON POST when a pass finds news."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from series_archiver.jobs.notify import notify
from series_archiver.models import Event, PassCounts, PassResult
from series_archiver.settings import NotifySettings

# --- notification ------------------------------------------------------------------------------


def _result() -> PassResult:
    return PassResult(
        run_id=7,
        counts=PassCounts(),
        events=[
            Event("new_article", 5, "https://www.takungpao.com/news/232108/2025/1219/1051111.html", "某系列⑤ 試驗篇", 1),
            Event("new_version", 2, "https://www.takungpao.com/news/232108/2025/1216/1050318.html", "某系列② 底氣篇", 2, "+4 −2 chars"),
            Event("gone", 3, "https://www.takungpao.com/news/232108/2025/1217/1050642.html", "某系列③", None, "HTTP 404 Not Found"),
        ],
    )


def test_notify_command_gets_the_events_as_json_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "got.json"
    sent = notify(NotifySettings(command=f'cat > "{out}"; echo "$SERIES_ARCHIVER_EVENTS" > "{out}.env"'), _result(), archive=tmp_path / "series.db")
    assert sent == ["command"]
    body = json.loads(out.read_text(encoding="utf-8"))
    assert [e["event"] for e in body["events"]] == ["new_article", "new_version", "gone"]
    assert body["events"][1] == {
        "event": "new_version", "article_id": 2, "title": "某系列② 底氣篇",
        "url": "https://www.takungpao.com/news/232108/2025/1216/1050318.html", "version": 2, "summary": "+4 −2 chars",
    }
    assert body["run_id"] == 7 and body["archive"] == str(tmp_path / "series.db")
    assert body["text"].startswith("series-archiver: new installment: 某系列⑤ 試驗篇 https://")
    assert "edited (version 2): 某系列② 底氣篇" in body["text"] and "removed: 某系列③" in body["text"]
    assert (tmp_path / "got.json.env").read_text().strip() == "gone new_article new_version"


def test_a_failing_notify_command_is_a_warning_never_an_exception(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="series_archiver.events"):
        assert notify(NotifySettings(command="echo no mail server >&2; exit 3"), _result(), archive=tmp_path / "s.db") == []
    [record] = caplog.records
    assert (record.levelno, record.event) == (logging.WARNING, "notify_failed")  # type: ignore[attr-defined]
    assert "exited with status 3: no mail server" in record.getMessage()


def test_nothing_is_sent_for_a_pass_without_news(tmp_path: Path) -> None:
    out = tmp_path / "got"
    assert notify(NotifySettings(command=f"touch {out}"), PassResult(1, PassCounts()), archive=tmp_path / "s.db") == []
    assert not out.exists()


@pytest.fixture
def hook() -> Iterator[tuple[str, list[dict[str, Any]], list[int]]]:
    """A webhook on 127.0.0.1: (url, bodies received, statuses to answer)."""
    bodies: list[dict[str, Any]] = []
    answers: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(answers.pop(0) if answers else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies, answers
    server.shutdown()
    server.server_close()


def test_notify_url_gets_the_events_as_a_json_post(tmp_path: Path, hook: tuple[str, list[dict[str, Any]], list[int]], caplog: pytest.LogCaptureFixture) -> None:
    url, bodies, answers = hook
    assert notify(NotifySettings(url=url), _result(), archive=tmp_path / "s.db") == ["url"]
    assert [e["event"] for e in bodies[0]["events"]] == ["new_article", "new_version", "gone"]
    answers.append(500)
    with caplog.at_level(logging.INFO, logger="series_archiver.events"):
        assert notify(NotifySettings(url=url), _result(), archive=tmp_path / "s.db") == []
    assert "notify.url answered HTTP 500" in caplog.records[-1].getMessage()


def test_an_unreachable_notify_url_is_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with caplog.at_level(logging.INFO, logger="series_archiver.events"):
        assert notify(NotifySettings(url=f"http://127.0.0.1:{port}/hook"), _result(), archive=tmp_path / "s.db") == []
    assert caplog.records[-1].levelno == logging.WARNING
    assert "notify.url could not be reached (ConnectError" in caplog.records[-1].getMessage()
