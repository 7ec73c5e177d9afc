"""The stack's commands: ``up``, ``down``, ``status`` and ``logs``, ``start_server`` to start
one server of a stack that is up again, and ``install_and_start``, what a background build runs."""

import concurrent.futures
import os
import signal

from conveyor_local.stack.background import (
    FAILED,
    BackgroundInstall,
    building,
    install_in_background,
    last_failure,
)
from conveyor_local.stack.ferretdb import FerretDB
from conveyor_local.stack.health import wait_until_ready
from conveyor_local.stack.install import install_missing
from conveyor_local.stack.jaeger import Jaeger
from conveyor_local.stack.kafka import kafka_nodes
from conveyor_local.stack.output import (
    LOG_TAIL_LINES,
    describe_ports,
    report,
    say,
    shown,
    tail,
)
from conveyor_local.stack.preflight import refuse_other_kafka_security, refuse_outdated
from conveyor_local.stack.processes import running_pid
from conveyor_local.stack.provision import provision_kafka
from conveyor_local.stack.server import Server
from conveyor_local.stack.settings import Endpoints, Settings, StackError
from conveyor_local.stack.supervise import ensure_started, stack_lock, stop_gracefully


def all_servers(settings: Settings) -> list[Server]:
    """The stack's servers: its Kafka node(s), FerretDB and Jaeger."""
    # Kafka first: the JVM is the slowest to come up, the others start while it does.
    return [*kafka_nodes(settings), FerretDB(settings), Jaeger(settings)]


def up(settings: Settings | None = None, *, wait_all: bool = True) -> Endpoints:
    """Install what is missing, start what is not running, wait for it, create the topics.

    Args:
        settings: Ports and deadlines; from the environment when omitted.
        wait_all: Wait for every server. False (``make up``, the demo): a server that builds
            in the background (Jaeger) and is not built yet is left to its background build,
            which starts it once built; the others are ready when this returns.

    Returns:
        Where the servers answer (Jaeger's too, though it may not answer yet).

    Raises:
        StackError: A server could not be installed, started or reached; the message names it
            and its log.
    """
    settings = settings or Settings.from_env()
    servers = all_servers(settings)
    with stack_lock(settings):
        refuse_outdated(servers)
        refuse_other_kafka_security(settings)
        later = [
            server
            for server in servers
            if not wait_all and server.builds_in_background and not server.installed()
        ]
        for server in later:  # first, so that it compiles while the others install and start
            if (failed := last_failure(server)) is not None:
                report(server.name, f"its last background build failed ({shown(failed)}): again")
            pid = install_in_background(server)
            log = shown(BackgroundInstall(server).log_file)
            report(server.name, f"building in the background (pid {pid}, log {log})")
        now = [server for server in servers if server not in later]
        install_missing(now)
        started = {server.name for server in now if ensure_started(server)}
        # In parallel, so that each reports its own start-up time.
        with concurrent.futures.ThreadPoolExecutor(len(now)) as pool:
            waits = [
                (server, pool.submit(wait_until_ready, server, settings.start_timeout))
                for server in now
            ]
        for server, wait in waits:
            took = wait.result()  # re-raises the StackError of a server that never got ready
            if server.name in started:
                report(server.name, f"ready in {took:.1f}s  {describe_ports(server)}")
            else:
                report(server.name, f"already running (pid {running_pid(server)}), healthy")
        provision_kafka(settings)
    for server in later:
        if (state := building(server)) is not None:
            report(
                server.name,
                f"still {state}: it starts once built, `make status` tells; "
                "`python -m conveyor_local.stack up --wait-all` waits for it",
            )
    return Endpoints.of(settings)


def install_and_start(name: str, settings: Settings | None = None) -> None:
    """What a background build runs (``BackgroundInstall``): install the server (its setup
    commands at the niceness the builder's environment sets), then start it and wait until it
    answers, if its stack is still up (a Kafka node of it runs); after ``down`` it stays
    installed, for the next ``up`` to start.

    Raises:
        StackError: The install failed (the message's last line says ``FAILED``), or the server
            did not start.
    """
    settings = settings or Settings.from_env()
    server = next((s for s in all_servers(settings) if s.name == name), None)
    if server is None:
        raise StackError(f"the stack has no server called {name!r}")
    try:
        install_missing([server])
    except StackError as error:
        raise StackError(f"{error}\n{server.name}: {FAILED}") from None
    with stack_lock(settings):
        if not any(running_pid(node) is not None for node in kafka_nodes(settings)):
            report(server.name, "installed; not started: the stack is down (make up starts it)")
            return
        if not ensure_started(server):
            report(server.name, f"installed; already running (pid {running_pid(server)})")
            return
    took = wait_until_ready(server, settings.start_timeout)
    report(server.name, f"ready in {took:.1f}s  {describe_ports(server)}")


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
            elif (state := building(server)) is not None:
                report(server.name, f"{state}: the build goes on, {server.name} will not start")
            else:
                report(server.name, "not running")
                server.pid_file.unlink(missing_ok=True)
        for server in servers:
            if server.name in stopping:
                stop_gracefully(server, stopping[server.name])


def status(settings: Settings | None = None) -> bool:
    """Print what runs, with pid, ports and health, and what is still being built. Returns
    whether every server is healthy or still building."""
    all_healthy = True
    for server in all_servers(settings or Settings.from_env()):
        pid = running_pid(server)
        if pid is not None:
            problem = server.probe()
            state = f"running (pid {pid}), " + ("healthy" if problem is None else "NOT healthy")
            if problem is not None:
                state, all_healthy = f"{state}: {problem}", False
        elif (builds := building(server)) is not None:
            state = builds
        elif not server.installed():
            failed = last_failure(server)
            why = f": its background build failed, see {shown(failed)}" if failed else ""
            state, all_healthy = f"not installed{why} (make up installs it)", False
        else:
            state, all_healthy = "stopped", False
        report(server.name, f"{server.version():10} {state}  {describe_ports(server)}")
    return all_healthy


def logs(settings: Settings | None = None, lines: int = LOG_TAIL_LINES) -> None:
    """Print where each server logs, and the last lines of each log (and of its background
    build's, when it had one)."""
    for server in all_servers(settings or Settings.from_env()):
        builder = BackgroundInstall(server).log_file
        extra = [builder] if server.builds_in_background and builder.is_file() else []
        for log in [*server.log_files(), *extra]:
            say(f"==> {shown(log)} <==\n{tail(log, lines) or '(empty)'}\n")
