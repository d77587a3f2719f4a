"""What pytest must not collect when it reads doctests from every module, and where it rewrites asserts.

``--doctest-modules`` imports each ``.py`` file it walks past: the replica's
pages are data, and ``tests/fixtures/make_archive_0_1_0.py`` is a script for
the 0.1.0 code that crawls as soon as it is imported.

The shared checks in ``tests/support`` (``assert_archive_sound`` and the like)
assert as the tests do; registered here, before anything imports them, their
failures show the values compared, as a test's own asserts do.
"""

import pytest

pytest.register_assert_rewrite("tests.support")

collect_ignore = ["src/series_archiver/demo/replica_site", "tests/fixtures"]
