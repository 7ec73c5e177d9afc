"""Conveyor's local tools, each run as ``python -m conveyor_local.<tool>`` (the Makefile's targets):

- ``stack``: Kafka, FerretDB and Jaeger as plain processes, without Docker (make up / down /
  status / logs);
- ``mesh``: the four services as separate processes on a run's own namespace;
- ``demo``: the mesh on a few hundred simulated orders, summarised (make demo);
- ``audit``: the invariants a run of the mesh must leave in its topics and databases;
- ``chaos``: the demo's flow under a seeded schedule of faults, audited (make chaos);
- ``bench``: throughput, latency and cost of the mesh next to the run's baselines (make bench);
- ``bench_backends``: FerretDB's SQLite and PostgreSQL backends side by side (make bench-backends).
"""
