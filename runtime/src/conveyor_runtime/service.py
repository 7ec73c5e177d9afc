"""The parts every service assembles the same way: infrastructure, lifespan, health and metrics."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import uvicorn
from fastapi import APIRouter, FastAPI, Response
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from conveyor_contracts.spec import TopicSpec
from conveyor_runtime.auth import TokenVerifier, install_verifier
from conveyor_runtime.broker import build_broker
from conveyor_runtime.consumer import subscribe_batches
from conveyor_runtime.consumer_config import BatchPolicy, Route
from conveyor_runtime.http_telemetry import instrument_http
from conveyor_runtime.lag import ConsumerLagMonitor, Subscription
from conveyor_runtime.logs import configure_logging
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.mongo import KeyedLock, build_mongo_client, ping
from conveyor_runtime.outbox import MongoOutboxStore, OutboxRelay, OutboxStore, kafka_publisher
from conveyor_runtime.problems import install_problems
from conveyor_runtime.settings import ServiceSettings
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_runtime.timers import Fire, TimerPoller

log = logging.getLogger(__name__)


class Worker(Protocol):
    """A background loop of the service (an outbox relay, a timer poller)."""

    async def run(self) -> None:
        """Work until cancelled; a failure must be retried inside, never raised."""
        ...


@dataclass
class Infrastructure:
    """Connections and instruments a service shares across its adapters and entrypoints."""

    settings: ServiceSettings
    tracer_provider: TracerProvider
    broker: KafkaBroker
    # None for a service whose repositories are all in memory (``conveyor_runtime.memory``).
    mongo: AsyncMongoClient[dict[str, Any]] | None
    metrics: MessagingMetrics
    locks: KeyedLock = field(default_factory=KeyedLock)
    subscriptions: list[Subscription] = field(default_factory=list)  # whose lag is measured
    # Per consumer group, the topics to consume; subscribed together by ``subscribe_routes``.
    routes: dict[str, list[Route[Any]]] = field(default_factory=dict)
    # False where the broker is in memory: the lag monitor opens Kafka connections of its own.
    measure_lag: bool = True

    @property
    def database(self) -> AsyncDatabase[dict[str, Any]]:
        if self.mongo is None:
            raise RuntimeError("this infrastructure has no database: use in-memory repositories")
        return self.mongo[self.settings.mongo_database]

    def consume(
        self, spec: TopicSpec[Any], group: str, handle: Callable[[Any], Awaitable[None]]
    ) -> None:
        """Consume this deployment's ``spec`` topic in consumer group ``group``, with bad input
        parked in the topic's dead-letter companion.

        The topics of one group share one batch consumer (see ``conveyor_runtime.consumer``),
        registered by ``subscribe_routes`` once every topic is known.
        """
        keyed_by_order = spec.key == "order_id"  # the others (stock) carry no order id to log
        subscription = Subscription(self.settings.topic(group), self.settings.topic(spec.name))
        self.subscriptions.append(subscription)
        self.metrics.expect_dead_letters(subscription.topic)
        self.routes.setdefault(subscription.group, []).append(
            Route(
                topic=subscription.topic,
                dead_letter_topic=self.settings.topic(spec.dead_letter),
                adapter=spec.adapter,
                handle=handle,
                order_id_of=(lambda event: event.order_id) if keyed_by_order else (lambda _: None),
            )
        )

    def subscribe_routes(self) -> None:
        """Register one batch consumer per consumer group, for all of its topics."""
        policy = BatchPolicy(
            max_records=self.settings.consumer_batch_records,
            max_wait_ms=self.settings.consumer_batch_wait_ms,
            concurrency=self.settings.consumer_concurrency,
        )
        for group, routes in self.routes.items():
            subscribe_batches(
                self.broker,
                group_id=group,
                routes=routes,
                metrics=self.metrics,
                tracer_provider=self.tracer_provider,
                batch=policy,
            )
        self.routes.clear()

    def outbox_relay(self, collection: AsyncCollection[dict[str, Any]]) -> OutboxRelay:
        """The relay of ``collection``'s outboxes, publishing on the broker, its backlog in
        ``conveyor_outbox_pending{collection}``."""
        return self.relay(MongoOutboxStore(collection), collection=collection.name)

    def relay(self, store: OutboxStore, *, collection: str) -> OutboxRelay:
        """The relay of ``store``'s outboxes (a ``MemoryOutboxStore`` in component tests),
        publishing on the broker, its backlog in ``conveyor_outbox_pending{collection}``."""
        return OutboxRelay(
            store,
            kafka_publisher(self.broker, self.metrics, self.tracer_provider),
            self.locks,
            sweep_seconds=self.settings.outbox_sweep_seconds,
            backlog=self.metrics.outbox_pending.labels(collection),
        )

    def timer_poller(
        self,
        collection: AsyncCollection[dict[str, Any]] | str,
        fire: Fire,
        *,
        sweep_seconds: float,
    ) -> TimerPoller:
        """The poller firing ``collection``'s deadlines, each firing a span of this service
        (only the collection's name for documents kept in memory, see ``TimerPoller``).

        Make it before the collection's repository, whose writes tell it their deadlines
        (``deadlines=poller.stored``); ``fire`` may reach use cases built after it, since it
        runs only once a deadline comes.
        """
        name = collection if isinstance(collection, str) else collection.name
        return TimerPoller(
            collection,
            fire,
            tracer_provider=self.tracer_provider,
            sweep_seconds=sweep_seconds,
            known=self.metrics.timer_deadlines.labels(name),
        )


def build_infrastructure(
    settings: ServiceSettings, *, span_exporter: SpanExporter | None = None
) -> Infrastructure:
    """Build, without connecting, everything a service talks to."""
    provider = build_tracer_provider(
        settings.service_name, settings.otlp_endpoint, exporter=span_exporter
    )
    metrics = MessagingMetrics()
    return Infrastructure(
        settings=settings,
        tracer_provider=provider,
        broker=build_broker(
            settings.kafka_bootstrap_servers,
            settings.service_name,
            provider,
            settings.kafka_credentials(),
        ),
        mongo=build_mongo_client(
            settings.mongo_url,
            provider,
            metrics=metrics,
            trace_commands=settings.trace_database,
        ),
        metrics=metrics,
    )


def build_http_app(
    infra: Infrastructure,
    *,
    workers: Sequence[Worker] = (),
    routers: Sequence[APIRouter] = (),
) -> FastAPI:
    """The service's process: HTTP API, broker and background workers (outbox relays, timer
    pollers, and the consumer lag monitor every service on a real Kafka gets), started and
    stopped together.

    Errors are problem details (``conveyor_runtime.problems``); the routers' routes check
    bearer tokens against the settings' key set (``conveyor_runtime.auth.require``), while
    health, readiness and metrics stay open for probes and Prometheus.

    Shutdown (uvicorn turns SIGTERM into it) stops the workers, then lets in-flight handlers finish
    and commit before the consumers leave their groups, then flushes the remaining spans.
    """

    infra.subscribe_routes()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await infra.broker.start()
        tasks = [
            asyncio.create_task(worker.run(), name=type(worker).__name__)
            for worker in (*workers, *_infrastructure_workers(infra))
        ]
        log.info("service started", extra={"service": infra.settings.service_name})
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await infra.broker.stop()
            if infra.mongo is not None:
                await infra.mongo.close()
            infra.tracer_provider.shutdown()
            log.info("service stopped", extra={"service": infra.settings.service_name})

    return build_api(
        infra.settings,
        [_operations_router(infra), *routers],
        lifespan=lifespan,
        tracer_provider=infra.tracer_provider,
        metrics=infra.metrics,
    )


def _infrastructure_workers(infra: Infrastructure) -> list[Worker]:
    """The workers every service gets: the consumer lag monitor, on a real Kafka."""
    if not infra.measure_lag:
        return []
    return [
        ConsumerLagMonitor(
            infra.settings.kafka_bootstrap_servers,
            infra.subscriptions,
            infra.metrics.consumer_lag,
            interval_seconds=infra.settings.lag_poll_seconds,
            client_id=f"{infra.settings.service_name}-lag",
            credentials=infra.settings.kafka_credentials(),
        )
    ]


def build_api(
    settings: ServiceSettings,
    routers: Sequence[APIRouter],
    *,
    lifespan: Any = None,
    tracer_provider: TracerProvider | None = None,
    metrics: MessagingMetrics | None = None,
) -> FastAPI:
    """The HTTP app of ``routers``: errors as problem details, bearer tokens checked against
    the settings' key set (component tests build their app with it too).

    With a ``tracer_provider`` (every service's, ``build_http_app``), every request is a server
    span named for its route template, what it changes on an order's documents joins the
    order's trace, and, given ``metrics`` too, it is timed in ``conveyor_http_request_seconds``
    (``conveyor_runtime.http_telemetry``). Without one (unit tests), none of this.
    """
    app = FastAPI(title=settings.service_name, lifespan=lifespan)
    if tracer_provider is not None:
        instrument_http(
            app, tracer_provider, metrics.http_request_seconds if metrics is not None else None
        )
    install_problems(app)
    install_verifier(app, TokenVerifier.of(settings))
    for router in routers:
        app.include_router(router)
    return app


def _operations_router(infra: Infrastructure) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    async def dependencies() -> dict[str, str]:
        checks = {"kafka": "ok"}
        if not await infra.broker.ping(timeout=2.0):
            checks["kafka"] = "unreachable"
        if infra.mongo is not None:  # in-memory repositories have no database to check
            checks["mongo"] = await _mongo_state(infra.mongo)
        for dependency, state in checks.items():
            infra.metrics.dependency_up.labels(dependency).set(1 if state == "ok" else 0)
        return checks

    @router.get("/readyz")
    async def readyz(response: Response) -> dict[str, str]:
        """Readiness: the broker and the database both answer."""
        checks = await dependencies()
        if any(value != "ok" for value in checks.values()):
            response.status_code = 503
        return checks

    @router.get("/metrics")
    async def metrics() -> Response:
        """Prometheus exposition of this service's registry, readiness checked first so that
        ``conveyor_dependency_up`` is as fresh as the scrape."""
        await dependencies()
        return Response(generate_latest(infra.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


async def _mongo_state(mongo: AsyncMongoClient[dict[str, Any]]) -> str:
    try:
        await asyncio.wait_for(ping(mongo), timeout=2.0)
    except Exception as error:
        return f"unreachable: {type(error).__name__}"
    return "ok"


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run until SIGTERM/SIGINT, then shut down gracefully; logs are JSON lines on stdout."""
    configure_logging(settings.log_level)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None)
