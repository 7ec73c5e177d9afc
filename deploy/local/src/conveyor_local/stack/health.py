"""Whether a server answers: probed until it is ready, and which of its ports another program
already answers on."""

import contextlib
import socket
import time

from conveyor_local.stack.output import log_excerpt
from conveyor_local.stack.processes import running_pid
from conveyor_local.stack.server import Server
from conveyor_local.stack.settings import PROBE_INTERVAL, StackError


def wait_until_ready(server: Server, timeout: float) -> float:
    """Probe until the server answers; fail early if its process dies, or at the deadline.

    Returns:
        Seconds waited.
    """
    started = time.monotonic()
    deadline = started + timeout
    while (problem := server.probe()) is not None:
        pid = running_pid(server)
        if pid is None:
            raise StackError(
                f"{server.name} is not running (it exited during startup?): {problem}"
                + log_excerpt(server)
            )
        if time.monotonic() >= deadline:
            raise StackError(
                f"{server.name} (pid {pid}) is not ready after {timeout:.0f}s: {problem}"
                + log_excerpt(server)
                + "\nIf it hangs, `make down` then `make up` restarts it."
            )
        time.sleep(PROBE_INTERVAL)
    return time.monotonic() - started


def ports_in_use(server: Server) -> list[str]:
    host = server.settings.host
    return [
        f"{label} port {port}" for label, port in server.ports().items() if port_answers(host, port)
    ]


def port_answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False
