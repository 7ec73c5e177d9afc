"""What every server of the local stack says about itself: how to install, configure, start
and probe it (Kafka, FerretDB and Jaeger fill it in)."""

import os
from pathlib import Path

from conveyor_local.stack.settings import Settings


class Server:
    """One background server: how to install, configure, start and probe it."""

    name: str
    stop_grace: float = 15.0  # seconds between SIGTERM and SIGKILL
    # Its first install is left to a background build that `up` does not wait for (unless
    # told to): the stack is of use without it for the minutes it takes (Jaeger).
    builds_in_background: bool = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def pid_file(self) -> Path:
        return self.settings.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        """Where the process's own output goes."""
        return self.settings.log_dir / f"{self.name}.log"

    def log_files(self) -> list[Path]:
        """Every log worth reading when this server misbehaves."""
        return [self.log_file]

    def ports(self) -> dict[str, int]:
        """What listens where, by purpose."""
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError

    def installed(self) -> bool:
        raise NotImplementedError

    def install(self) -> None:
        """Fetch or build the pinned version (the slow first run)."""
        raise NotImplementedError

    def prepare(self) -> None:
        """Write configuration and data directories before a start."""

    def command(self) -> list[str]:
        raise NotImplementedError

    def owns(self, command_line: list[str]) -> bool:
        """Whether a process with this command line runs this server: tells it from a program
        that reuses the pid, another clone's stack, or an editor open on a file. Which stack
        home it belongs to is told by its working directory (see ``running_pid``)."""
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def probe(self) -> str | None:
        """One quick readiness check: None when ready, else what is missing."""
        raise NotImplementedError
