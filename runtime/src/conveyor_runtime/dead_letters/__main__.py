"""``python -m conveyor_runtime.dead_letters``: see ``cli.py``."""

from conveyor_runtime.dead_letters.cli import main

main()
