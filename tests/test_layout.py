"""The tests' own layout: folders mirror the package, and no test module imports another.

What tests share lives in ``tests/support`` (helpers) and in ``conftest.py``
files (fixtures, which pytest provides without an import). A test module that
imports another runs that module's fixtures and tests' imports wherever it is
used, and ties two files that should move on their own.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import series_archiver
from tests.support.paths import REPO

TESTS = REPO / "tests"
PACKAGE = Path(series_archiver.__file__).parent
# Folders that mirror no package: helpers, tests across layers, the benchmark's code, data.
NOT_MIRRORS = {"support", "e2e", "bench", "fixtures"}


def python_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "fixtures" not in p.relative_to(TESTS).parts)


@cache
def imports_of_tests(path: Path) -> tuple[str, ...]:
    """Every module of the tests that ``path`` imports, as written (relative ones with their dots)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "tests"]
        elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] == "tests"):
            module = "." * node.level + (node.module or "")
            # ``from tests.x import test_y`` imports a module too; the names are checked with it.
            found += [f"{module}.{alias.name}" if module.strip(".") else module + alias.name for alias in node.names]
    return tuple(found)


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


def _is_slow(marks: list[ast.expr]) -> bool:
    # ``pytest.mark.slow``, alone, called, or in a list (``pytestmark = [pytest.mark.browser, pytest.mark.slow]``).
    return any(isinstance(node, ast.Attribute) and node.attr == "slow" for mark in marks for node in ast.walk(mark))


@cache
def quick_tests(path: Path) -> tuple[str, ...]:
    """The tests of ``path`` that ``pytest -m "not slow"`` runs (by their marks as written)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module_marks = [n.value for n in tree.body if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in n.targets)]
    if _is_slow(module_marks):
        return ()
    return tuple(
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_") and not _is_slow(n.decorator_list)
    )


def test_the_quick_subset_has_tests_of_every_package_and_every_folder() -> None:
    # e2e and bench are whole passes and the benchmark: slow by nature, covered by the full run.
    packages = {p.parent.relative_to(PACKAGE) for p in PACKAGE.glob("*/__init__.py")}
    folders = {p.parent.relative_to(TESTS) for p in TESTS.rglob("test_*.py")} - {Path()}
    without = [
        str(folder)
        for folder in sorted(packages | folders)
        if folder.parts[0] not in NOT_MIRRORS and not any(quick_tests(p) for p in (TESTS / folder).rglob("test_*.py"))
    ]
    assert without == [], "no test runs in the quick subset (pytest -m 'not slow') for these; leave one unmarked"


def test_slow_marks_are_read_as_pytest_reads_them(tmp_path: Path) -> None:
    source = tmp_path / "test_y.py"
    source.write_text(
        "import pytest\n\n@pytest.mark.slow\ndef test_a(): pass\n\n"
        "@pytest.mark.parametrize('x', [1])\n@pytest.mark.slow\ndef test_b(x): pass\n\ndef test_c(): pass\n",
        encoding="utf-8",
    )
    assert quick_tests(source) == ("test_c",)
    whole = tmp_path / "test_z.py"
    whole.write_text("import pytest\n\npytestmark = [pytest.mark.browser, pytest.mark.slow]\n\ndef test_d(): pass\n", encoding="utf-8")
    assert quick_tests(whole) == ()
