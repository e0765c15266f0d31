"""MiniMost benchmark suite: ``python -m bench`` (or ``./scripts/bench``).

See ``bench/README.md`` for the scenarios and how to read the table.
"""
