"""`make demo` (``python -m conveyor_local.demo``): the mesh on simulated orders, summarised.
``cli`` is the command line, ``flow`` the run as the benchmark and the chaos runner use it; its
parts: ``observer``, ``desk`` and ``summary``."""
