"""`make chaos` (``python -m conveyor_local.chaos``): the demo's flow under a seeded schedule of
faults, audited. ``runner`` is the command line and one run; its parts: ``schedule`` (the
faults), ``cluster`` (the stack of its own) and ``faults`` (injecting them)."""
