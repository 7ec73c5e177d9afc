"""The chaos stack: three brokers, a database and Jaeger of its own, and its servers to kill,
freeze and start again."""

import asyncio
import os
import signal
from dataclasses import dataclass

from conveyor_local.stack.commands import all_servers, start_server
from conveyor_local.stack.processes import is_alive, running_pid
from conveyor_local.stack.server import Server
from conveyor_local.stack.settings import CACHE, Endpoints, Settings, StackError

BROKERS = 3


@dataclass
class Cluster:
    """The chaos stack's servers, to kill, freeze and start again."""

    settings: Settings
    endpoints: Endpoints

    def server(self, name: str) -> Server:
        return next(s for s in all_servers(self.settings) if s.name == name)

    def pid(self, name: str) -> int:
        pid = running_pid(self.server(name))
        if pid is None:
            raise StackError(f"{name} of the chaos stack is not running")
        return pid

    async def kill(self, name: str) -> None:
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        while is_alive(pid):  # noqa: ASYNC110  (another process: nothing to await)
            await asyncio.sleep(0.05)

    async def start(self, name: str) -> float:
        """Start a killed server again. Returns the seconds until it answered."""
        return await asyncio.to_thread(start_server, self.server(name))


def chaos_settings() -> Settings:
    """The chaos stack: three brokers and its own database and Jaeger, in a home of its own
    and on ports beside the default stack's, below Linux's ephemeral range (32768 and up), where
    a client connection's own port could already hold one."""
    return Settings(
        kafka_brokers=BROKERS,
        home=CACHE / "chaos",
        kafka_port=19092,  # and 19094, 19096; their controllers 19093, 19095, 19097
        kafka_controller_port=19093,
        mongo_port=17017,
        otlp_grpc_port=14317,
        otlp_http_port=14318,
        jaeger_query_port=16786,
        jaeger_query_grpc_port=16785,
        jaeger_health_port=13233,
    )
