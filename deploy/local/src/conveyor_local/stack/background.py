"""Jaeger's first build, in the background: ``up`` starts Kafka and FerretDB as soon as they are
ready and leaves the slowest install by far (Jaeger from its Go module, minutes of compiling) to
a detached process of the stack home, ``python -m conveyor_local.stack install-in-background
jaeger``. That process builds it (under its install lock: one build for every stack home, a
second one waits and finds it built), its compiler at a lower CPU priority than the servers and
the demo, then starts it in its stack home if that stack is still up (a Kafka node of it runs).
"""

import os
import sys
from pathlib import Path

from conveyor_local.stack.install import NICENESS_VARIABLE, install_log, install_running
from conveyor_local.stack.output import elapsed, shown, tail
from conveyor_local.stack.processes import running_pid
from conveyor_local.stack.server import Server
from conveyor_local.stack.supervise import spawn_detached

COMMAND = "install-in-background"
FAILED = "background install FAILED"  # the last line of its log when it did
NICENESS = 10  # its compiler below the servers, the demo and the tests: two cores for all


class BackgroundInstall(Server):
    """The detached process that installs one server of a stack home, then starts it there."""

    def __init__(self, server: Server) -> None:
        super().__init__(server.settings)
        self.server = server
        self.name = f"{server.name}-install"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "conveyor_local.stack", COMMAND, self.server.name]

    def owns(self, command_line: list[str]) -> bool:
        # Whichever Python runs it: the module, the command and the server's name.
        return command_line[1:] == self.command()[1:]

    def environment(self) -> dict[str, str]:
        # The settings this stack was brought up with, which need not be the environment's.
        return {
            **os.environ,
            **self.settings.environment(),
            NICENESS_VARIABLE: str(NICENESS),
            "PYTHONUNBUFFERED": "1",
        }


def install_in_background(server: Server) -> int:
    """Start the process that installs ``server`` and then starts it, unless this stack home's
    runs already. Returns its pid."""
    builder = BackgroundInstall(server)
    if (pid := running_pid(builder)) is not None:
        return pid
    settings = builder.settings
    for directory in (settings.run_dir, settings.log_dir):
        directory.mkdir(parents=True, exist_ok=True)
    pid = spawn_detached(
        builder.command(), builder.log_file, builder.environment(), settings.run_dir
    )
    builder.pid_file.write_text(f"{pid}\n")
    return pid


def building(server: Server) -> str | None:
    """What a server that is not running waits for, in a few words (``status``, ``up``,
    ``down`` and the demo say it), or None when no install of it runs."""
    running = install_running(server)
    background = running_pid(BackgroundInstall(server)) is not None
    installed = server.installed()
    if running is not None and not installed:
        return f"building (elapsed {elapsed(running.seconds)}; log {shown(install_log(server))})"
    if background:
        return "built, starting" if installed else "building (waiting for its turn)"
    return None


def last_failure(server: Server) -> Path | None:
    """The background build's log when its last run failed (the lines above its last say why)."""
    log = BackgroundInstall(server).log_file
    return log if FAILED in tail(log, 1) else None
