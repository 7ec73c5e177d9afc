"""`make bench` (``python -m conveyor_local.bench``): the mesh's throughput, latency and cost
next to the run's own baselines. ``cli`` is the command line, ``measure`` one run; its parts:
``load``, ``journey``, ``cost``, ``usage``, ``baseline``, ``ceiling``, ``sasl``, ``ratios`` and
``report``."""
