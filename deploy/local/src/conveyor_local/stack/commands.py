"""The stack's commands: ``up``, ``down``, ``status`` and ``logs``, and ``start_server`` to start
one server of a stack that is up again."""

import concurrent.futures
import os
import signal

from conveyor_local.stack.ferretdb import FerretDB
from conveyor_local.stack.health import wait_until_ready
from conveyor_local.stack.install import install_missing
from conveyor_local.stack.jaeger import Jaeger
from conveyor_local.stack.kafka import kafka_nodes
from conveyor_local.stack.output import LOG_TAIL_LINES, describe_ports, report, say, shown, tail
from conveyor_local.stack.preflight import refuse_other_kafka_security, refuse_outdated
from conveyor_local.stack.processes import running_pid
from conveyor_local.stack.provision import provision_kafka
from conveyor_local.stack.server import Server
from conveyor_local.stack.settings import Endpoints, Settings
from conveyor_local.stack.supervise import ensure_started, stack_lock, stop_gracefully


def all_servers(settings: Settings) -> list[Server]:
    """The stack's servers: its Kafka node(s), FerretDB and Jaeger."""
    # Kafka first: the JVM is the slowest to come up, the others start while it does.
    return [*kafka_nodes(settings), FerretDB(settings), Jaeger(settings)]


def up(settings: Settings | None = None) -> Endpoints:
    """Install what is missing, start what is not running, wait for all, create the topics.

    Args:
        settings: Ports and deadlines; from the environment when omitted.

    Returns:
        Where the servers answer.

    Raises:
        StackError: A server could not be installed, started or reached; the message names it
            and its log.
    """
    settings = settings or Settings.from_env()
    servers = all_servers(settings)
    with stack_lock(settings):
        refuse_outdated(servers)
        refuse_other_kafka_security(settings)
        install_missing(servers)
        started = {server.name for server in servers if ensure_started(server)}
        # In parallel, so that each reports its own start-up time.
        with concurrent.futures.ThreadPoolExecutor(len(servers)) as pool:
            waits = [
                (server, pool.submit(wait_until_ready, server, settings.start_timeout))
                for server in servers
            ]
        for server, wait in waits:
            took = wait.result()  # re-raises the StackError of a server that never got ready
            if server.name in started:
                report(server.name, f"ready in {took:.1f}s  {describe_ports(server)}")
            else:
                report(server.name, f"already running (pid {running_pid(server)}), healthy")
        provision_kafka(settings)
    return Endpoints.of(settings)


def start_server(server: Server) -> float:
    """Start one server of a stack that is up, again (after a test killed it), and wait until
    it answers; a running one is only probed. Not while ``up`` or ``down`` runs in this process
    (they hold the stack's lock).

    Returns:
        Seconds waited for it to answer.

    Raises:
        StackError: It did not start or answer within the settings' start timeout.
    """
    with stack_lock(server.settings):
        ensure_started(server)
    return wait_until_ready(server, server.settings.start_timeout)


def down(settings: Settings | None = None) -> None:
    """Stop every server: SIGTERM, then SIGKILL for any still running after its grace period."""
    settings = settings or Settings.from_env()
    servers = all_servers(settings)
    with stack_lock(settings):
        stopping = {server.name: pid for server in servers if (pid := running_pid(server))}
        for server in servers:
            if server.name in stopping:
                os.kill(stopping[server.name], signal.SIGTERM)
            else:
                report(server.name, "not running")
                server.pid_file.unlink(missing_ok=True)
        for server in servers:
            if server.name in stopping:
                stop_gracefully(server, stopping[server.name])


def status(settings: Settings | None = None) -> bool:
    """Print what runs, with pid, ports and health. Returns whether everything is healthy."""
    all_healthy = True
    for server in all_servers(settings or Settings.from_env()):
        pid = running_pid(server)
        if pid is None:
            state, all_healthy = "stopped", False
        elif (problem := server.probe()) is None:
            state = f"running (pid {pid}), healthy"
        else:
            state, all_healthy = f"running (pid {pid}), NOT healthy: {problem}", False
        report(server.name, f"{server.version():10} {state}  {describe_ports(server)}")
    return all_healthy


def logs(settings: Settings | None = None, lines: int = LOG_TAIL_LINES) -> None:
    """Print where each server logs, and the last lines of each log."""
    for server in all_servers(settings or Settings.from_env()):
        for log in server.log_files():
            say(f"==> {shown(log)} <==\n{tail(log, lines) or '(empty)'}\n")
