"""The local stack without Docker: Apache Kafka (KRaft), FerretDB and Jaeger as plain processes.

    python -m conveyor_local.stack up [--wait-all] | down | status | logs   (make up / down / ...)

``up`` fetches or builds each server the first time (pinned versions, everything under the
git-ignored ``.cache/``), starts the ones not running yet in the background, waits until each one
really answers, then creates every topic of the contracts' registry. It is idempotent: a running,
healthy server is left alone, so a second ``up`` costs a few health checks. Tests may call
``up()`` from Python too; it returns where the servers answer.

Jaeger's first build (minutes of compiling its Go module) runs in the background: ``up`` returns
once Kafka and FerretDB answer, and a detached process of the stack home builds Jaeger at a lower
CPU priority, then starts it if the stack is still up (``background``). Its log is the home's
logs/jaeger-install.log, the build's own is .cache/logs/install-jaeger.log; ``status`` says
"building (elapsed ...)" meanwhile. The services export their traces once it answers (spans
made before are dropped). ``up --wait-all`` (``make test``: the tracing tests need Jaeger), and
``up()`` from Python unless given ``wait_all=False``, wait for the build as well, saying every
30 s what still builds. One install of each server runs at a time for every stack home (its
lock in .cache): a second ``up`` waits for the first's build instead of starting another.

Loopback only. Ports (defaults in brackets) can be moved with environment variables:
CONVEYOR_KAFKA_PORT [9092], CONVEYOR_KAFKA_CONTROLLER_PORT [9093], CONVEYOR_MONGO_PORT [27017],
CONVEYOR_OTLP_GRPC_PORT [4317], CONVEYOR_OTLP_HTTP_PORT [4318], CONVEYOR_JAEGER_QUERY_PORT
[16686], CONVEYOR_JAEGER_QUERY_GRPC_PORT [16685], CONVEYOR_JAEGER_HEALTH_PORT [13133];
CONVEYOR_STACK_HOST [127.0.0.1]; CONVEYOR_STACK_START_TIMEOUT [120] seconds per server.

CONVEYOR_KAFKA_BROKERS [1]: how many Kafka nodes, each both broker and controller (KRaft
combined mode), node ids 1..N, every node a voter of the controller quorum. 1 is the default
stack, whose node is called ``kafka``; 3 (tested) makes a cluster of ``kafka-1``..``kafka-3``
that loses nothing and keeps accepting acks=all writes with one node down (up to 5 work). Node
i listens on CONVEYOR_KAFKA_PORT + 2(i-1) for clients and CONVEYOR_KAFKA_CONTROLLER_PORT +
2(i-1) for the quorum: 9092/9093, 9094/9095, 9096/9097 by default. The internal topics, the
broker defaults and the registry's topics get min(3, N) copies and min(2, N) in sync;
``Endpoints.kafka`` lists every node. ``make up CONVEYOR_KAFKA_BROKERS=3`` works too.

CONVEYOR_KAFKA_AUTH [scram]: every Kafka listener authenticates (SASL/SCRAM-SHA-512 for clients
and between brokers) and authorizes (KRaft's StandardAuthorizer, nothing allowed without an
ACL); ``none`` runs it open, as a plain development broker. The first ``up`` generates a
password per principal (``admin``, ``broker`` and every actor of the registry) into the stack
home's kafka/credentials.json, creates the users when it formats the storage, and every ``up``
creates the users the registry gained since (as the admin), applies the registry's ACLs and
deletes those on the registry's topics and groups that it no longer derives
(``conveyor_runtime.kafka_acl``). See docs/security.md.

CONVEYOR_STACK_HOME [.cache; a relative path is taken from the repository root]: where one
stack keeps its state: run/ (pid files, the lock), data/, logs/ and kafka/ (each node's
generated server.properties). A second stack with its own home and ports runs beside the
default one without touching it; the installed servers (.cache/bin, .cache/kafka/libs, Go's
caches) stay shared. A process belongs to the stack whose run/ directory it was started in.

From Python, each name imported from the module that owns it (the package's docstring lists
them), e.g. a chaos runner with its own three-node stack::

    settings = Settings(kafka_brokers=3, home=Path(...), kafka_port=29092, ...every port...)
    endpoints = up(settings)
    node = kafka_nodes(settings)[1]         # or any of all_servers(settings)
    os.kill(running_pid(node), signal.SIGKILL)
    start_server(node)                      # starts it again and waits until it answers
    down(settings)

Needs Java 17+ with Maven (Kafka) and Go 1.24+ (FerretDB, Jaeger) on PATH, and this workspace's
Python environment (aiokafka, pymongo).
"""

import argparse
import logging
import sys

from conveyor_local.stack.background import COMMAND as INSTALL_IN_BACKGROUND
from conveyor_local.stack.commands import down, install_and_start, logs, status, up
from conveyor_local.stack.output import LOG_TAIL_LINES, say
from conveyor_local.stack.settings import StackError

# --- command line ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conveyor_local.stack",
        description="Conveyor's local stack: Kafka, FerretDB and Jaeger without Docker.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser(
        "up", help="install (first time), start and wait; create the topics"
    )
    start.add_argument(
        "--wait-all",
        action="store_true",
        help="also wait for Jaeger's first build (else it builds in the background and starts "
        "once built)",
    )
    commands.add_parser("down", help="stop the servers cleanly")
    commands.add_parser("status", help="what runs where, and whether it answers")
    show_logs = commands.add_parser("logs", help="where the logs are, and their last lines")
    show_logs.add_argument("-n", "--lines", type=int, default=LOG_TAIL_LINES)
    background = commands.add_parser(
        INSTALL_IN_BACKGROUND, help="(what `up` starts) install a server, then start it"
    )
    background.add_argument("server")
    arguments = parser.parse_args(argv)

    # aiokafka logs every refused connection while Kafka boots; the probes report what matters.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        if arguments.command == "up":
            up(wait_all=arguments.wait_all)
        elif arguments.command == "down":
            down()
        elif arguments.command == "status":
            return 0 if status() else 1
        elif arguments.command == INSTALL_IN_BACKGROUND:
            install_and_start(arguments.server)
        else:
            logs(lines=arguments.lines)
    except StackError as error:
        say(f"error: {error}", sys.stderr)
        return 1
    return 0
