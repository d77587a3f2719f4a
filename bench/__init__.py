"""The benchmark of series-archiver: ``python bench/run.py`` (see bench/README.md)."""
