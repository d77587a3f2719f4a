"""Where things are: the repository, the printed seed beside it, the fixture archive of 0.1.0, the offline launcher."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEED = REPO.parent / "shared" / "seed" / "000_d7e7d544140b6fc5.txt"
# An archive written by release 0.1.0 itself (tests/fixtures/README.md says how).
FIXTURE = REPO / "tests" / "fixtures" / "archive-0.1.0.db"
# Run as a script (``python OFFLINE LOG SCRIPT ...``), never imported by the tests.
OFFLINE = Path(__file__).resolve().with_name("offline.py")
