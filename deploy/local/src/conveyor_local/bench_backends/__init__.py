"""`make bench-backends` (``python -m conveyor_local.bench_backends``): FerretDB's SQLite and
PostgreSQL backends, per operation. ``cli`` is the command line; its parts: ``servers``,
``operations`` and ``measure``."""
