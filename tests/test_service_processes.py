"""Each service runs as its own process (`python -m <service>`): ready, then SIGTERM-clean."""

import asyncio
import os
import signal
import socket
import sys

import httpx
import pytest

from conveyor_contracts.topics import TOPICS
from conveyor_testkit import CreateTopics, Servers, wait_for

SERVICES = ("orders", "inventory", "shipping", "support")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_process_becomes_ready_and_stops_cleanly_on_sigterm(
    service: str, servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    # What it reads, and what it writes (support reads its own case events back too).
    await create_topics(*(s for s in TOPICS if service in (s.producer, *s.consumers)))
    prefix, port = service.upper(), free_port()
    env = (
        os.environ
        | servers.kafka_login.environment(service)
        | {
            f"{prefix}_KAFKA_BOOTSTRAP_SERVERS": kafka,
            f"{prefix}_MONGO_URL": servers.mongo_url,
            f"{prefix}_MONGO_DATABASE": f"{namespace}{service}",
            f"{prefix}_OTLP_ENDPOINT": servers.otlp,
            f"{prefix}_HTTP_PORT": str(port),
            f"{prefix}_TOPIC_PREFIX": namespace,
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        service,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2.0) as http:

            async def ready() -> bool:
                if process.returncode is not None:
                    raise AssertionError(f"{service} exited with {process.returncode}")
                try:
                    return (await http.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for(ready, within=60)
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            assert "conveyor_messages_consumed" in (await http.get("/metrics")).text
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    output = (await process.stdout.read()).decode() if process.stdout else ""
    # uvicorn re-raises SIGTERM once shutdown has completed, as a process manager expects.
    assert code in (0, -signal.SIGTERM), output
    assert '"message": "service stopped"' in output
    assert '"message": "Application shutdown complete."' in output
