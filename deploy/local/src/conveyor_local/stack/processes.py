"""Whether a server of this stack home runs, and as which process: read from Linux /proc (the
project's machines and CI are Linux)."""

import os
from pathlib import Path

from conveyor_local.stack.server import Server


def running_pid(server: Server) -> int | None:
    """The pid of this stack's server if it runs (a stopped one, SIGSTOP, counts), from its
    pid file, or else found among the processes (the pid file may have been deleted), in which
    case the file is rewritten."""
    pid = read_pid(server)
    if pid is not None and runs(server, pid):
        return pid
    candidates = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    for candidate in candidates:
        if runs(server, candidate):
            server.settings.run_dir.mkdir(parents=True, exist_ok=True)
            server.pid_file.write_text(f"{candidate}\n")
            return candidate
    return None


def runs(server: Server, pid: int) -> bool:
    """Whether process ``pid`` is this server of this stack home. Two homes run the same
    binaries, and Jaeger's command line is the same in both, so the home is told by the
    working directory every server is started in (``spawn_detached``)."""
    return (
        server.owns(command_line(pid))
        and working_directory(pid) == server.settings.run_dir.resolve()
        and is_alive(pid)
    )


def read_pid(server: Server) -> int | None:
    try:
        return int(server.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def is_alive(pid: int) -> bool:
    """Running and not a zombie (an exited server waits for init to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone, or not ours to read
        return False
    state = stat.rsplit(")", 1)[1].split()[0]  # the name in parentheses may contain spaces
    return state not in ("Z", "X")


def working_directory(pid: int) -> Path | None:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:  # gone, or not ours to read
        return None


def command_line(pid: int) -> list[str]:
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:  # gone, or not ours to read
        return []
    return [argument.decode(errors="replace") for argument in arguments if argument]
