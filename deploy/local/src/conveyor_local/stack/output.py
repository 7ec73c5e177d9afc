"""What the stack prints: one line per server, paths as a person would type them, the tail of
a log."""

import os
import sys
from pathlib import Path
from typing import TextIO

from conveyor_local.stack.server import Server
from conveyor_local.stack.settings import ROOT

LOG_TAIL_LINES = 20


def report(name: str, message: str) -> None:
    say(f"{name:9} {message}")


def say(text: str, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout  # looked up when called: whatever stdout is then
    out.write(text + "\n")
    out.flush()


def shown(path: Path) -> str:
    """A path inside the repository relative to it, as a person would type it; else whole."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def elapsed(seconds: float) -> str:
    """A duration as a person reads it: 42s, 3m05s, 1h02m."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def describe_ports(server: Server) -> str:
    host = server.settings.host
    return "  ".join(f"{label} {host}:{port}" for label, port in server.ports().items())


def tail(path: Path, lines: int) -> str:
    try:
        with path.open("rb") as file:
            file.seek(0, os.SEEK_END)
            file.seek(max(0, file.tell() - 200 * lines))  # enough bytes for `lines` lines
            text = file.read().decode(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def log_excerpt(server: Server) -> str:
    logged = [log for log in server.log_files() if tail(log, 1)]
    if not logged:
        return f"\n(nothing logged yet in {', '.join(map(str, server.log_files()))})"
    return "".join(f"\n--- last lines of {log} ---\n{tail(log, LOG_TAIL_LINES)}" for log in logged)


def keep_previous_log(log: Path) -> None:
    """Each start gets a fresh log; the previous run's stays beside it as <name>.1."""
    if log.is_file():
        log.replace(log.with_name(log.name + ".1"))
