"""What pytest must not collect when it reads doctests from every module.

``--doctest-modules`` imports each ``.py`` file it walks past: the replica's
pages are data, and ``tests/fixtures/make_archive_0_1_0.py`` is a script for
the 0.1.0 code that crawls as soon as it is imported.
"""

collect_ignore = ["src/series_archiver/demo/replica_site", "tests/fixtures"]
