"""The benchmark of series-archiver: ``python bench/run.py`` (see the README, "Benchmark")."""
