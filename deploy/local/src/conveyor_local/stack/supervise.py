"""Starting and stopping the stack's servers as detached processes, one ``up`` or ``down`` at a
time per stack home."""

import contextlib
import fcntl
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from conveyor_local.stack.health import ports_in_use
from conveyor_local.stack.output import keep_previous_log, report, shown
from conveyor_local.stack.processes import is_alive, running_pid
from conveyor_local.stack.server import Server
from conveyor_local.stack.settings import PROBE_INTERVAL, Settings, StackError


def ensure_started(server: Server) -> bool:
    """Start the server unless ours is already running. Returns whether it was started."""
    if running_pid(server) is not None:
        return False
    server.pid_file.unlink(missing_ok=True)  # stale: the process is gone
    if taken := ports_in_use(server):
        raise StackError(
            f"{server.name} cannot start: {', '.join(taken)} on {server.settings.host} already "
            f"answer(s), but not from the {server.name} this checkout started. Stop that program "
            "or move the stack with the CONVEYOR_*_PORT variables (see "
            "deploy/local/src/conveyor_local/stack/cli.py)."
        )
    settings = server.settings
    for directory in (settings.run_dir, settings.log_dir, settings.data_dir):
        directory.mkdir(parents=True, exist_ok=True)
    server.prepare()
    keep_previous_log(server.log_file)
    pid = spawn_detached(server.command(), server.log_file, server.environment(), settings.run_dir)
    server.pid_file.write_text(f"{pid}\n")
    report(server.name, f"started (pid {pid}), log {shown(server.log_file)}")
    return True


def spawn_detached(argv: list[str], log: Path, env: Mapping[str, str], cwd: Path) -> int:
    """Start ``argv`` in the background in its own session, output appended to ``log``.

    A shell starts it and exits at once, so the server is nobody's child here: it outlives
    this script, Ctrl-C on ``make up`` does not reach it, and no Popen object is left to warn
    that it is still running. It runs in ``cwd``, its stack's run/ directory: anything it
    writes next to itself stays there, and that is how its stack recognises it.

    Returns:
        The server's pid.
    """
    launcher = 'log="$1"; shift; "$@" </dev/null >>"$log" 2>&1 & echo $!'
    launched = subprocess.run(
        ["sh", "-c", launcher, "launch", str(log), *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        start_new_session=True,
    )
    return int(launched.stdout)


def stop_gracefully(server: Server, pid: int) -> None:
    """Wait for a process sent SIGTERM to exit; SIGKILL it after the server's grace period."""
    started = time.monotonic()
    while is_alive(pid) and time.monotonic() - started < server.stop_grace:
        time.sleep(PROBE_INTERVAL)
    if is_alive(pid):
        os.kill(pid, signal.SIGKILL)
        report(
            server.name, f"killed (pid {pid}): still running {server.stop_grace:.0f}s after SIGTERM"
        )
    else:
        report(server.name, f"stopped (pid {pid}) in {time.monotonic() - started:.1f}s")
    server.pid_file.unlink(missing_ok=True)


@contextlib.contextmanager
def stack_lock(settings: Settings) -> Iterator[None]:
    """One `up` or `down` at a time per stack home: parallel test sessions all call `up`."""
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    with (settings.run_dir / "stack.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
