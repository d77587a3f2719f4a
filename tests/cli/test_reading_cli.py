"""Reading the archive from a shell: ``search``, ``diff`` into a file, ``list`` at 80 columns, times in one zone, plurals.

Real processes on a real archive (the reading room's: the replica crawled three
times, ① edited twice, ④ taken down and back), piped, written to a file, or on
a pseudo-terminal 80 columns wide.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from series_archiver.archive.search import register_functions, search
from series_archiver.demo.replica import ReplicaSite
from tests.support.command import run
from tests.support.room import Room, build_room
from tests.support.terminal import plain, run_on_terminal

pytestmark = pytest.mark.slow

# A time as the CLI shows it: the reader's zone, with its offset.
HK_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+08:00")
STORED_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Room:
    db = tmp_path_factory.mktemp("room") / "series.db"
    with ReplicaSite() as site:
        return build_room(db, site)


def _cli(room: Room, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run(*args, "--db", str(room.db), cwd=room.db.parent, check=True, env=env or None)


def _web_search(room: Room, query: str) -> list[dict[str, object]]:
    """What the reading room's search page reads: ``archive.search.search``."""
    conn = sqlite3.connect(f"file:{room.db}?mode=ro", uri=True)
    try:
        register_functions(conn)
        return list(search(conn, query).results)
    finally:
        conn.close()


# --- starting ------------------------------------------------------------------------

# What only fetching, scheduling and evidence need: a reader's command that loaded them
# would start as slowly as `crawl` (about half a second more, measured).
_FETCHING_STACK = ("httpx", "apscheduler", "cryptography", "rfc3161_client", "trafilatura")

_IMPORTED_AFTER = """
import json, sys
from series_archiver.entry import main
sys.argv = ["series-archiver", *sys.argv[1:]]
try:
    main()
except SystemExit as exit_:
    code = exit_.code
print(json.dumps({"exit": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


@pytest.mark.parametrize("args", [("search", "企業"), ("list",), ("show", "1")])
def test_reading_commands_start_without_the_fetching_stack(room: Room, args: tuple[str, ...]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTED_AFTER, *args, "--db", str(room.db), "--json"],
        capture_output=True, text=True, check=True, cwd=room.db.parent,
    )
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["exit"] in (0, None), done.stderr
    loaded = set(_FETCHING_STACK) & set(last["modules"])
    assert not loaded, f"`{args[0]}` imported {sorted(loaded)}"


# --- search ---------------------------------------------------------------------------


def test_search_finds_what_the_web_search_finds_with_its_snippets(room: Room) -> None:
    # Simplified script and the mainland word: ① prints 晶片 in traditional script.
    page = json.loads(_cli(room, "search", "芯片", "--json").stdout)
    hits = page["results"]
    assert page["query"] == "芯片" and page["total"] == len(hits) and page["offset"] == 0 and page["next_offset"] is None
    web = _web_search(room, "芯片")
    assert [h["id"] for h in hits] == [w["article_id"] for w in web] and room.ids[1] in [h["id"] for h in hits]
    assert [h["snippet_html"] for h in hits] == [w["snippet_html"] for w in web]
    first = next(h for h in hits if h["id"] == room.ids[1])
    assert first["versions_matching"] == [1, 2, 3] and first["current_version"] == 3
    assert "<mark>晶片</mark>" in first["snippet_html"] and "晶片" in first["snippet"] and "<" not in first["snippet"]

    text = _cli(room, "search", "芯片").stdout
    assert text.startswith(f"{len(hits)} article{'s' if len(hits) != 1 else ''} found for 芯片")
    assert f"#{room.ids[1]}  貿戰下中國力量①" in text
    assert "found in versions 1, 2, 3 of 3" in text
    assert first["snippet"] in text


def test_search_says_when_an_edit_took_the_words_out(room: Room) -> None:
    text = _cli(room, "search", "灰白色").stdout  # the second edit made it 灰黑色
    assert text.startswith("1 article found for 灰白色:")
    assert "found in versions 1, 2 of 3: an edit has since taken it out" in text
    assert "灰白色廠房" in text


def test_search_folds_the_script_and_takes_every_word(room: Room) -> None:
    assert [h["id"] for h in json.loads(_cli(room, "search", "厂房", "--json").stdout)["results"]] == [room.ids[1]]
    both = json.loads(_cli(room, "search", "厂房", "晶片", "--json").stdout)["results"]
    assert [h["id"] for h in both] == [room.ids[1]]
    assert _cli(room, "search", "厂房", "沒有這句話").stdout.strip() == "Nothing found for 厂房 沒有這句話."


def test_search_pages(room: Room) -> None:
    every = json.loads(_cli(room, "search", "貿戰", "--json").stdout)
    assert every["total"] == len(every["results"]) == 4 and every["next_offset"] is None
    first = json.loads(_cli(room, "search", "貿戰", "--json", "--limit", "2").stdout)
    assert (first["total"], first["limit"], first["offset"], first["next_offset"]) == (4, 2, 0, 2)
    second = json.loads(_cli(room, "search", "貿戰", "--json", "--limit", "2", "--offset", "2").stdout)
    assert second["next_offset"] is None
    # The pages end to end are the whole answer, in the same order.
    assert first["results"] + second["results"] == every["results"]
    text = _cli(room, "search", "貿戰", "--limit", "2").stdout
    assert text.startswith("4 articles found for 貿戰; 1–2 shown (next: --offset 2):")
    assert text.count("\n#") == 2
    text = _cli(room, "search", "貿戰", "--limit", "2", "--offset", "2").stdout
    assert text.startswith("4 articles found for 貿戰; 3–4 shown:") and text.count("\n#") == 2
    assert _cli(room, "search", "貿戰", "--limit", "3", "--offset", "3").stdout.startswith("4 articles found for 貿戰; 4 shown:")
    past = _cli(room, "search", "貿戰", "--offset", "9").stdout
    assert past.strip() == "4 articles found for 貿戰; none after the first 4 (--offset 9)."
    assert run("search", "貿戰", "--limit", "0", "--db", str(room.db), cwd=room.db.parent).returncode == 2
    assert run("search", "貿戰", "--offset", "-1", "--db", str(room.db), cwd=room.db.parent).returncode == 2


# --- diff off a terminal --------------------------------------------------------------


def test_diff_into_a_file_marks_deletions_and_insertions(room: Room, tmp_path: Path) -> None:
    out = tmp_path / "edit.txt"
    with out.open("w", encoding="utf-8") as file:
        proc = subprocess.run(
            [sys.executable, "-m", "series_archiver", "diff", str(room.ids[1]), "--from", "1", "--to", "2", "--db", str(room.db)],
            stdout=file, stderr=subprocess.PIPE, text=True, timeout=120, check=False,
        )
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert "\x1b[" not in text
    # The example: the old and new figures no longer run together.
    assert "首度站上[-1萬億-]{+1.2萬億+}元台階。{+讀者來信附上" in text
    assert HK_TIME.search(text.splitlines()[0]) and "+" in text.splitlines()[0]


def test_diff_colour_always_into_a_pipe_and_never_on_a_terminal(room: Room) -> None:
    coloured = _cli(room, "diff", str(room.ids[1]), "--from", "2", "--to", "3", "--color", "always").stdout
    assert "\x1b[" in coloured and "[-" not in coloured and "{+" not in coloured
    assert "灰" in plain(coloured) and "灰白黑色" in plain(coloured)  # struck and underlined, side by side

    code, never = run_on_terminal("diff", str(room.ids[1]), "--from", "2", "--to", "3", "--color", "never", "--db", str(room.db), cwd=room.db.parent)
    assert code == 0 and "\x1b[" not in never and "一座灰[-白-]{+黑+}色廠房" in never
    code, auto = run_on_terminal("diff", str(room.ids[1]), "--from", "2", "--to", "3", "--db", str(room.db), cwd=room.db.parent)
    assert code == 0 and "\x1b[" in auto and "[-白-]" not in auto


# --- list at 80 columns ---------------------------------------------------------------


def _check_list_fits(output: str, room: Room) -> None:
    lines = output.rstrip("\n").splitlines()
    assert all(cell_len(line) <= 80 for line in lines), "\n".join(line for line in lines if cell_len(line) > 80)
    assert all(line == line.rstrip() for line in lines), "a line ends in blanks"
    header = lines[0]
    assert header.split() == ["id", "#", "label", "title", "published", "versions", "URLs", "status"]
    title_width = cell_len(header[: header.index("published")]) - cell_len(header[: header.index("title")])
    assert title_width >= 32, f"the title gets {title_width} columns of 80"
    rows = [line for line in lines[2:] if re.match(r"\s*\d+ ", line)]
    assert len(rows) == len(room.ids)
    body = lines[2:-1]
    assert len(body) <= 2 * len(rows), "a title wraps over more than two lines"
    assert lines[-1] == "Dates in Asia/Hong_Kong (HKT, UTC+08:00)."
    # Each title is whole, read across its lines.
    cells = [re.sub(r"^\s*\d+\s+\d*\s+\S+\s", "", line) if line in rows else line.strip() for line in body]
    joined = "".join(re.split(r"\s{2,}| \d{4}-\d\d-\d\d", cell)[0].replace(" ", "") for cell in cells)
    for title in (r["title"] for r in json.loads(_cli(room, "list", "--json").stdout)):
        assert title.replace(" ", "") in joined


def test_list_fits_80_columns_when_piped(room: Room) -> None:
    _check_list_fits(_cli(room, "list", COLUMNS="80").stdout, room)


def test_list_fits_an_80_column_terminal(room: Room) -> None:
    code, output = run_on_terminal("list", "--db", str(room.db), cwd=room.db.parent, columns=80)
    assert code == 0 and "\x1b[" in output  # a terminal: styled
    _check_list_fits(plain(output), room)


# --- one time zone, and plurals -------------------------------------------------------


def test_show_log_status_and_list_read_times_in_the_display_zone(room: Room, tmp_path: Path) -> None:
    article = str(room.ids[1])
    for args in (("show", article), ("log", article), ("status",), ("diff", article)):
        text = _cli(room, *args).stdout
        assert HK_TIME.search(text), (args, text)
        assert not STORED_TIME.search(text), (args, "a stored time is shown as stored")
    # JSON keeps ISO 8601 with its offset.
    shown = json.loads(_cli(room, "show", article, "--json").stdout)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", shown["captured_at"])

    config = tmp_path / "utc.toml"
    config.write_text('[archive]\ndisplay_timezone = "UTC"\n', encoding="utf-8")
    log = _cli(room, "log", article, "--config", str(config)).stdout
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00  first", log) and not HK_TIME.search(log)
    assert _cli(room, "list", "--config", str(config)).stdout.rstrip().endswith("Dates in UTC (UTC+00:00).")
    bad = tmp_path / "bad.toml"
    bad.write_text('[archive]\ndisplay_timezone = "Mars/Olympus"\n', encoding="utf-8")
    proc = run("log", article, "--db", str(room.db), "--config", str(bad), cwd=tmp_path)
    assert proc.returncode == 2 and "archive.display_timezone" in proc.stderr


def test_counts_carry_their_plurals(room: Room) -> None:
    log = _cli(room, "log", str(room.ids[1])).stdout
    assert " · 3 versions · " in log and "1 witness capture (Save Page Now)" in log
    assert " · 1 version · " in _cli(room, "log", str(room.ids[3])).stdout
    status = _cli(room, "status").stdout
    assert re.search(r"\b1 new version\b", status) or re.search(r"\b(0|[2-9]\d*) new versions\b", status)
    assert not re.search(r"\b1 new (articles|versions)\b", status)
