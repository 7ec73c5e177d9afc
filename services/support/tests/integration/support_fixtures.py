"""Running the support service on the session's real servers, and talking to it."""

import contextlib
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from conveyor_runtime.broker import build_broker
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import Servers
from support.app import create_app
from support.settings import SupportSettings

ADA_ID, BOB_ID = "byr_ada00001", "byr_bob00001"


def support_settings(
    servers: Servers, kafka: str, namespace: str, **fields: Any
) -> SupportSettings:
    return SupportSettings(
        kafka_bootstrap_servers=kafka,
        mongo_url=servers.mongo_url,
        mongo_database=f"{namespace}support",
        otlp_endpoint=None,
        topic_prefix=namespace,
        outbox_sweep_seconds=0.5,
        **servers.kafka_login.settings("support"),  # as its own principal: the ACLs apply
        **fields,
    )


def client_broker(servers: Servers, settings: SupportSettings) -> KafkaBroker:
    """A broker for the test's own publishes, with trace context in the headers; it logs in
    as the admin (the service under test logs in as itself)."""
    return build_broker(
        settings.kafka_bootstrap_servers,
        "support-test",
        build_tracer_provider("test", None),
        servers.kafka_login.credentials(),
    )


def new_order_id() -> str:
    return f"ord_{uuid.uuid4().hex[:12]}"


@dataclass
class Running:
    http: httpx.AsyncClient
    settings: SupportSettings
    publisher: KafkaBroker  # started, with the telemetry middleware (traceparent headers)
    agent: dict[str, str]  # bearer headers, minted with keys made for this run
    ada: dict[str, str]  # the buyer ADA_ID
    bob: dict[str, str]  # the buyer BOB_ID

    async def publish(self, topic: str, event: BaseModel | bytes, key: str = "k") -> None:
        body = event if isinstance(event, bytes) else event.model_dump_json().encode()
        await self.publisher.publish(body, topic=self.settings.topic(topic), key=key.encode())

    async def entries(self, order_id: str) -> list[dict[str, Any]]:
        response = await self.http.get(f"/orders/{order_id}/timeline", headers=self.agent)
        return list(response.json()["entries"]) if response.status_code == 200 else []


@contextlib.asynccontextmanager
async def running_support(
    servers: Servers, settings: SupportSettings, publisher: KafkaBroker | None = None
) -> AsyncIterator[Running]:
    """The service running, with a test broker (started here: register its subscribers first),
    verifying tokens of an issuer whose keys are made here."""
    with tempfile.TemporaryDirectory(prefix="support-tokens-") as keys:
        issuer = Issuer.at(Path(keys))
        settings = settings.model_copy(update={"jwks_path": issuer.jwks_path})
        app = create_app(settings)
        publisher = publisher or client_broker(servers, settings)
        async with app.router.lifespan_context(app):
            await publisher.start()
            transport = httpx.ASGITransport(app=app)
            try:
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://support"
                ) as http:
                    yield Running(
                        http,
                        settings,
                        publisher,
                        agent=issuer.bearer("agent", "agt_0001"),
                        ada=issuer.bearer("buyer", ADA_ID),
                        bob=issuer.bearer("buyer", BOB_ID),
                    )
            finally:
                await publisher.stop()
