"""Installing the servers: the ones not installed yet, fetched or built once for every stack
home, one install of each server at a time (its own lock in .cache, held by whichever process
installs it, ``up`` or a background build), with what is still running said every
``PROGRESS_INTERVAL`` seconds, and the setup commands that do it, with their output logged."""

import concurrent.futures
import contextlib
import fcntl
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from conveyor_local.stack.output import LOG_TAIL_LINES, elapsed, report, shown, tail
from conveyor_local.stack.server import Server
from conveyor_local.stack.settings import BIN_DIR, CACHE, LOG_DIR, ROOT, StackError

PROGRESS_INTERVAL = 30.0  # seconds between two lines about an install that still runs
# The setup commands run at this niceness when it is set (a background build sets it: the
# servers it starts afterwards, and everything else, keep their own priority).
NICENESS_VARIABLE = "CONVEYOR_INSTALL_NICENESS"


def install_missing(servers: list[Server]) -> None:
    """Fetch/build the servers not installed yet, in parallel (mostly downloads and compiles),
    saying every ``PROGRESS_INTERVAL`` seconds which still run and for how long. A server that
    another process is installing is waited for, not installed twice."""
    # One install per server: a cluster's Kafka nodes share their jars.
    missing = [s for s in {type(s): s for s in servers}.values() if not s.installed()]
    if not missing:
        return
    with concurrent.futures.ThreadPoolExecutor(len(missing)) as pool:
        futures = {pool.submit(install_one, server): server for server in missing}
        pending = set(futures)
        while pending:
            done, pending = concurrent.futures.wait(
                pending, timeout=PROGRESS_INTERVAL, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                future.result()  # re-raises the StackError of a failed install
            if not done:
                for future in pending:
                    report_progress(futures[future])


def install_one(server: Server) -> bool:
    """Install ``server`` unless it is installed, under its lock: a second process waits for
    the first, then finds it installed. Returns whether this call installed it."""
    for directory in (BIN_DIR, LOG_DIR, CACHE / "kafka"):
        directory.mkdir(parents=True, exist_ok=True)
    with install_lock(server):
        if server.installed():
            return False
        report(server.name, f"installing (first run; log {shown(install_log(server))})")
        started = time.monotonic()
        server.install()
        report(
            server.name, f"installed {server.version()} in {elapsed(time.monotonic() - started)}"
        )
    return True


def report_progress(server: Server) -> None:
    """One line about an install that still runs: who installs it, since when, where it logs."""
    running = install_running(server)
    if running is None:  # between two checks: about to start, or just done
        return
    by = "" if running.pid in (None, os.getpid()) else f", by pid {running.pid}"
    report(
        server.name,
        f"still installing (elapsed {elapsed(running.seconds)}{by}; "
        f"log {shown(install_log(server))})",
    )


def install_log(server: Server) -> Path:
    """Where the commands that install the server log (``run_logged``)."""
    return LOG_DIR / f"install-{install_key(server)}.log"


def install_key(server: Server) -> str:
    # By kind: every Kafka node (kafka, kafka-1, ...) is one install of the same jars.
    return "kafka" if server.name.startswith("kafka") else server.name


def install_lock_file(server: Server) -> Path:
    return CACHE / f"install-{install_key(server)}.lock"


@contextlib.contextmanager
def install_lock(server: Server) -> Iterator[None]:
    """Held while the server is installed, by whichever process installs it; the file says
    which process and since when (``install_running``)."""
    path = install_lock_file(server)
    path.parent.mkdir(parents=True, exist_ok=True)
    # "a+": opening never empties what the holder wrote (status reads it without the lock).
    with path.open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()} {time.time():.0f}\n")
        lock.flush()
        yield


@dataclass(frozen=True)
class Installing:
    """An install that runs now: by which process (None: unknown yet), for how long."""

    pid: int | None
    seconds: float


def install_running(server: Server) -> Installing | None:
    """The install of ``server`` that some process runs now, or None."""
    path = install_lock_file(server)
    if not path.is_file():
        return None
    with path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            fields = lock.read().split()
        else:
            return None  # nobody holds it (closing the file lets it go)
    try:
        pid, started = int(fields[0]), float(fields[1])
    except (IndexError, ValueError):  # the holder has not written yet
        return Installing(None, 0.0)
    # Whoever holds the lock may have waited for it: the holder's line says when it got it.
    return Installing(pid, max(0.0, time.time() - started))


def require_tool(program: str, purpose: str) -> None:
    if shutil.which(program) is None:
        raise StackError(f"`{program}` is not on PATH. {purpose}.")


def run_logged(
    argv: list[str],
    what: str,
    log: Path,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
) -> None:
    """Run a setup command with its output appended to a log; fail with the log's tail. At
    the niceness of CONVEYOR_INSTALL_NICENESS when it is set."""
    if niceness := os.environ.get(NICENESS_VARIABLE):
        argv = ["nice", "-n", niceness, *argv]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as output:
        output.write(f"\n$ {' '.join(argv)}\n")
        output.flush()
        finished = subprocess.run(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    if finished.returncode != 0:
        raise StackError(
            f"{what} failed (exit {finished.returncode}); see {log}:\n{tail(log, LOG_TAIL_LINES)}"
        )
