"""The four services as OS processes, each as one or more instances in one consumer group.

The demo, the benchmark and the chaos runner start the mesh this way. An instance can be
killed, paused, stopped and started again on the same port, database and log; the mesh tells
an instance that died by itself from one that was taken down on purpose.
"""

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from conveyor_local.stack.settings import CACHE, Endpoints
from conveyor_runtime.tokens import Issuer

SERVICES = ("orders", "inventory", "shipping", "support")
TOKENS = CACHE / "tokens"  # the development issuer's keys (made at first use)
READY_WITHIN = 90.0  # seconds: a cold start on two busy cores
STOP_GRACE = 30.0  # seconds between SIGTERM and SIGKILL


class MeshError(RuntimeError):
    """An instance that did not start or stop as it should; the message names its log."""


@dataclass
class Instance:
    """One process of one service: started, and restarted, with the same settings."""

    service: str  # orders, inventory, shipping, support
    number: int  # 1 for the first instance of the service
    port: int
    env: Mapping[str, str]
    log: Path
    process: asyncio.subprocess.Process | None = None
    taken_down: bool = False  # killed, stopped or paused on purpose, not yet back

    @property
    def name(self) -> str:
        """The service's name, with the instance's number after a second one: orders-2."""
        return self.service if self.number == 1 else f"{self.service}-{self.number}"

    @property
    def crashed(self) -> bool:
        """Exited although nobody took it down."""
        return (
            not self.taken_down and self.process is not None and self.process.returncode is not None
        )

    @property
    def pid(self) -> int:
        if self.process is None:
            raise MeshError(f"{self.name} was never started")
        return self.process.pid

    async def start(self) -> None:
        # Appended: a restarted instance's log follows the one it replaces.
        with self.log.open("ab") as output:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", self.service, env=dict(self.env), stdout=output, stderr=output
            )
        self.taken_down = False

    async def ready(self, within: float = READY_WITHIN) -> float:
        """Wait until /readyz answers 200. Returns the seconds waited."""
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=2.0) as http:
            while time.monotonic() - started < within:
                if self.process is None or self.process.returncode is not None:
                    raise MeshError(f"{self.name} exited at start; see {self.log}")
                with contextlib.suppress(httpx.TransportError):
                    response = await http.get(f"http://127.0.0.1:{self.port}/readyz")
                    if response.status_code == 200:
                        return time.monotonic() - started
                await asyncio.sleep(0.2)
        raise MeshError(f"{self.name} was not ready within {within:.0f} s; see {self.log}")

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no commit, no flush, as a crash or an OOM kill does it."""
        self.taken_down = True
        process = self._running()
        process.kill()
        await process.wait()

    async def stop(self, grace: float = STOP_GRACE) -> float:
        """SIGTERM, then SIGKILL after ``grace``. Returns the seconds the shutdown took."""
        self.taken_down = True
        process = self._running()
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=grace)
        except TimeoutError as timed_out:
            process.kill()
            await process.wait()
            raise MeshError(f"{self.name} ignored SIGTERM for {grace:.0f} s") from timed_out
        return time.monotonic() - started

    def pause(self) -> None:
        """SIGSTOP: the process is frozen, its sockets open, its heartbeats silent."""
        self.taken_down = True
        self._running().send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._running().send_signal(signal.SIGCONT)
        self.taken_down = False

    def _running(self) -> asyncio.subprocess.Process:
        if self.process is None or self.process.returncode is not None:
            raise MeshError(f"{self.name} is not running; see {self.log}")
        return self.process


@dataclass
class Mesh:
    """Every instance of every service of one run."""

    instances: list[Instance] = field(default_factory=list)
    tokens: Issuer = field(default_factory=lambda: Issuer.at(TOKENS))  # the instances trust it

    def of(self, service: str) -> list[Instance]:
        return [instance for instance in self.instances if instance.service == service]

    def named(self, name: str) -> Instance:
        return next(instance for instance in self.instances if instance.name == name)

    def crashed(self) -> list[str]:
        return [instance.name for instance in self.instances if instance.crashed]

    def url(self, service: str) -> str:
        """The base URL of one of the service's instances that is up (the first when none is:
        its callers retry)."""
        instances = self.of(service)
        up = next((instance for instance in instances if not instance.taken_down), instances[0])
        return f"http://127.0.0.1:{up.port}"


def service_environment(
    service: str, endpoints: Endpoints, prefix: str, port: int, extra: Mapping[str, str]
) -> dict[str, str]:
    """The settings of one instance: this run's servers, topics and the service's database."""
    env_prefix = service.upper()
    login = endpoints.kafka_login(service)  # each service is its own principal
    return {
        **os.environ,
        **(
            {
                f"{env_prefix}_KAFKA_USERNAME": login.username,
                f"{env_prefix}_KAFKA_PASSWORD": login.password.get_secret_value(),
            }
            if login
            else {}
        ),
        f"{env_prefix}_KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka,
        f"{env_prefix}_MONGO_URL": endpoints.mongo_url,
        f"{env_prefix}_MONGO_DATABASE": f"{prefix}{service}",
        f"{env_prefix}_OTLP_ENDPOINT": endpoints.otlp_http,
        f"{env_prefix}_HTTP_PORT": str(port),
        f"{env_prefix}_TOPIC_PREFIX": prefix,
        f"{env_prefix}_JWKS_PATH": str(Issuer.at(TOKENS).jwks_path),
        **extra,
    }


@contextlib.asynccontextmanager
async def running_mesh(
    endpoints: Endpoints,
    prefix: str,
    log_dir: Path,
    *,
    instances: int = 1,
    settings: Mapping[str, str] | None = None,
) -> AsyncIterator[Mesh]:
    """Every service as ``instances`` processes, each service's in one consumer group (they
    share its partitions, its database and its topics); all stopped with SIGTERM at the end.

    Args:
        settings: Extra environment for every instance (deadlines, tokens).
    """
    mesh = Mesh()
    try:
        for number in range(1, instances + 1):
            for service in SERVICES:
                port = free_port()
                env = service_environment(service, endpoints, prefix, port, settings or {})
                name = service if number == 1 else f"{service}-{number}"
                instance = Instance(service, number, port, env, log_dir / f"{name}.log")
                await instance.start()
                mesh.instances.append(instance)
        await asyncio.gather(*(instance.ready() for instance in mesh.instances))
        yield mesh
    finally:
        await asyncio.gather(
            *(_stop_quietly(instance) for instance in mesh.instances), return_exceptions=True
        )


async def _stop_quietly(instance: Instance) -> None:
    if instance.process is None or instance.process.returncode is not None:
        return
    instance.resume()  # a paused process never sees SIGTERM
    await instance.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
