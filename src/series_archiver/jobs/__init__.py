"""The jobs a person or the daemon runs: crawl, fetch, backfill, import, rederive, verify, witness.

Each wires a source to the reader and the one writer (``record``), and returns plain values.
"""
