"""What ``up`` refuses before it changes anything: a server that runs while its pinned version
changed, and Kafka data or a Kafka node made for the other CONVEYOR_KAFKA_AUTH."""

from conveyor_local.stack.kafka import kafka_nodes
from conveyor_local.stack.output import shown
from conveyor_local.stack.processes import running_pid
from conveyor_local.stack.server import Server
from conveyor_local.stack.settings import AUTH_VARIABLE, Settings, StackError


def refuse_outdated(servers: list[Server]) -> None:
    """A server that runs while its pinned version changed must be stopped before the new
    version is installed: its files (jars, binary) are about to be replaced under it."""
    if outdated := [
        server.name for server in servers if running_pid(server) and not server.installed()
    ]:
        raise StackError(
            f"{', '.join(outdated)} run(s) an older pinned version: `make down`, then `make up`."
        )


def refuse_other_kafka_security(settings: Settings) -> None:
    """Refuse at once, rather than time out on handshakes, when the Kafka data or a running node
    was made for the other setting of CONVEYOR_KAFKA_AUTH."""
    wanted = "scram" if settings.kafka_auth else "none"
    for node in kafka_nodes(settings):
        if (
            settings.kafka_auth
            and node.formatted()
            and not settings.kafka_credentials_file.exists()
        ):
            raise StackError(
                f"{node.data} was formatted without authentication, so it holds no SCRAM user; "
                f"{AUTH_VARIABLE}=scram needs a new one: stop the stack (make down), delete "
                f"{shown(settings.data_dir)}/kafka* (development data only) and run make up again "
                f"(authentication is the default; {AUTH_VARIABLE}=none keeps the broker open)"
            )
        if running_pid(node) is not None and node.properties.is_file():
            runs_scram = "SASL_PLAINTEXT://" in node.properties.read_text()
            if runs_scram != settings.kafka_auth:
                raise StackError(
                    f"{node.name} runs {'with' if runs_scram else 'without'} authentication; stop "
                    f"the stack (make down) before make up with {AUTH_VARIABLE}={wanted}"
                )
