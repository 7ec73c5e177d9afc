"""The invariant auditor (``auditor``, ``python -m conveyor_local.audit``): what a run of the
mesh must leave in its topics and databases. Its parts: ``read`` (what it reads), ``events``,
``checks``, ``orders``, ``once``, ``stock`` (the invariants) and ``result`` (what it returns)."""
