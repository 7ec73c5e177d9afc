"""Installing the servers: the ones not installed yet, fetched or built once for every stack
home, and the setup commands that do it, with their output logged."""

import concurrent.futures
import fcntl
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from conveyor_local.stack.output import LOG_TAIL_LINES, report, tail
from conveyor_local.stack.server import Server
from conveyor_local.stack.settings import BIN_DIR, CACHE, LOG_DIR, ROOT, StackError


def install_missing(servers: list[Server]) -> None:
    """Fetch/build the servers not installed yet, in parallel (mostly downloads and compiles)."""
    if all(server.installed() for server in servers):
        return
    for directory in (BIN_DIR, LOG_DIR, CACHE / "kafka"):
        directory.mkdir(parents=True, exist_ok=True)
    # The installed servers are shared by every stack home: one installs, the others wait.
    with (CACHE / "install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _install(server for server in servers if not server.installed())


def _install(servers: Iterable[Server]) -> None:
    # One install per server: a cluster's Kafka nodes share their jars.
    missing = list({type(server): server for server in servers}.values())
    if not missing:
        return
    for server in missing:
        report(server.name, "installing (first run: several minutes; logs in .cache/logs)")
    with concurrent.futures.ThreadPoolExecutor(len(missing)) as pool:
        started = {server.name: time.monotonic() for server in missing}
        futures = {pool.submit(server.install): server for server in missing}
        for future in concurrent.futures.as_completed(futures):
            server = futures[future]
            future.result()  # re-raises the StackError of a failed install
            took = time.monotonic() - started[server.name]
            report(server.name, f"installed {server.version()} in {took:.0f}s")


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
    """Run a setup command with its output appended to a log; fail with the log's tail."""
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
