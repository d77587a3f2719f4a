"""The tests' own layout: folders mirror the package, and no test module imports another.

What tests share lives in ``tests/support`` (helpers) and in ``conftest.py``
files (fixtures, which pytest provides without an import). A test module that
imports another runs that module's fixtures and tests' imports wherever it is
used, and ties two files that should move on their own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import series_archiver
from tests.support.paths import REPO

TESTS = REPO / "tests"
PACKAGE = Path(series_archiver.__file__).parent
# Folders that mirror no package: helpers, tests across layers, the benchmark's code, data.
NOT_MIRRORS = {"support", "e2e", "bench", "fixtures"}


def python_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "fixtures" not in p.relative_to(TESTS).parts)


def imports_of_tests(path: Path) -> list[str]:
    """Every module of the tests that ``path`` imports, as written (relative ones with their dots)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "tests"]
        elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] == "tests"):
            module = "." * node.level + (node.module or "")
            # ``from tests.x import test_y`` imports a module too; the names are checked with it.
            found += [f"{module}.{alias.name}" if module.strip(".") else module + alias.name for alias in node.names]
    return found


def is_test_module(name: str) -> bool:
    return any(part.startswith("test_") or part == "conftest" for part in name.split(".") if part)


def test_no_test_module_imports_another_or_a_conftest() -> None:
    offending = [
        f"{path.relative_to(REPO)}: {name}"
        for path in python_files()
        for name in imports_of_tests(path)
        if is_test_module(name)
    ]
    assert offending == [], "import shared helpers from tests.support instead:\n" + "\n".join(offending)


def test_what_the_tests_import_of_themselves_is_tests_support() -> None:
    others = [
        f"{path.relative_to(REPO)}: {name}"
        for path in python_files()
        for name in imports_of_tests(path)
        if not name.startswith("tests.support")
    ]
    assert others == []


def test_the_check_sees_each_way_of_importing_a_test_module(tmp_path: Path) -> None:
    source = tmp_path / "test_x.py"
    source.write_text(
        "from .conftest import REPO\nfrom .test_crash import run_cli\nfrom tests.e2e import test_crash\n"
        "import tests.jobs.test_import\nfrom . import test_daemon\nfrom tests.support.cli import run_cli\n",
        encoding="utf-8",
    )
    names = imports_of_tests(source)
    assert [is_test_module(n) for n in names] == [True, True, True, True, True, False], names


def test_each_folder_of_tests_mirrors_a_package() -> None:
    folders = {p.parent.relative_to(TESTS) for p in TESTS.rglob("__init__.py")} - {Path()}
    mirrors = {f for f in folders if f.parts[0] not in NOT_MIRRORS}
    assert mirrors, "no mirror folders found"
    assert [str(f) for f in sorted(mirrors) if not (PACKAGE / f).is_dir()] == []
    # Every test module sits in a package (an __init__.py), so two test_x.py in two folders never clash.
    assert [str(p) for p in TESTS.rglob("test_*.py") if not (p.parent / "__init__.py").exists() and "fixtures" not in p.parts] == []
