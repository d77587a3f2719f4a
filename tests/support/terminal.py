"""``series-archiver`` on a pseudo-terminal of a given size: what a person at a terminal sees, escapes and all."""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_on_terminal(*args: str, cwd: Path, columns: int = 80, lines: int = 40, timeout: float = 60) -> tuple[int, str]:
    """Run the command on a new pseudo-terminal ``columns`` wide (COLUMNS and LINES unset); its exit status and output.

    The size is set before the command starts, so it never sees another. The
    output is as written, escapes included, with the terminal's ``\\r\\n`` made ``\\n``.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR")}
    env["TERM"] = "xterm-256color"
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "series_archiver", *args], cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
        )
    finally:
        os.close(slave)  # the child has its own; the master reads EOF (EIO) once it exits
    out = bytearray()
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer of the terminal is gone
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
        code = proc.wait(timeout=timeout)
    return code, out.decode("utf-8", errors="replace").replace("\r\n", "\n")


def plain(text: str) -> str:
    """``text`` without its terminal escapes."""
    return ANSI.sub("", text)
