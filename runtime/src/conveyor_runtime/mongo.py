"""MongoDB access shared by the services: one traced AsyncMongoClient per process, keyed locks,
and the batching that sends many concurrent operations as one command."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

from opentelemetry.instrumentation.pymongo import CommandTracer
from opentelemetry.trace import TracerProvider
from prometheus_client import Counter
from pymongo import AsyncMongoClient, monitoring

from conveyor_runtime.metrics import MessagingMetrics

Request = TypeVar("Request")
Result = TypeVar("Result")
# Statements per command: FerretDB v1.24.2 survives any number since the stack's source fix,
# but one command's statements are answered together, so a long one delays its first caller.
STATEMENTS_PER_COMMAND = 200

# Commands that keep a connection alive or authenticated rather than do the service's work:
# not counted in ``conveyor_db_commands_total`` (readiness checks ping on every scrape).
HOUSEKEEPING_COMMANDS = frozenset(
    {
        "hello",
        "ismaster",
        "ping",
        "endsessions",
        "buildinfo",
        "saslstart",
        "saslcontinue",
        "authenticate",
        "getnonce",
        "logout",
    }
)


class CommandCounter(monitoring.CommandListener):
    """Counts the commands a client sends, by command name, housekeeping left out."""

    def __init__(self, counter: Counter) -> None:
        self._counter = counter

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name.lower() not in HOUSEKEEPING_COMMANDS:
            self._counter.labels(event.command_name).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def build_mongo_client(
    url: str,
    tracer_provider: TracerProvider,
    *,
    metrics: MessagingMetrics | None = None,
    trace_commands: bool = True,
) -> AsyncMongoClient[dict[str, object]]:
    """Create the process's client; with ``trace_commands`` its commands become spans of the
    given provider and, with ``metrics``, are counted in ``conveyor_db_commands_total{command}``.

    The tracer is attached as this client's own command listener rather than through the
    instrumentor's global registration, so tests with their own providers do not see each
    other's database spans. Statements are not captured: documents can hold personal data.
    The client connects lazily, on first use, never at construction.
    """
    listeners: list[monitoring.CommandListener] = []
    if trace_commands:
        tracer = tracer_provider.get_tracer("pymongo")
        listeners.append(CommandTracer(tracer, capture_statement=False))
    if metrics is not None:
        listeners.append(CommandCounter(metrics.db_commands))
    return AsyncMongoClient(
        url,
        event_listeners=listeners,
        serverSelectionTimeoutMS=5000,
        tz_aware=True,
        uuidRepresentation="standard",
    )


async def ping(client: AsyncMongoClient[dict[str, object]]) -> None:
    """Raise unless the server answers."""
    await client.admin.command("ping")


class KeyedLock:
    """Serialises writers to the same key inside this process: a throughput aid.

    Correctness never rests on it: across processes (and instances of a service) the
    database's atomic conditional updates keep state correct, on MongoDB and on the local
    FerretDB with the stack's isolation fix. Without it a hot key (one flash-sale SKU) would see
    a storm of versioned writes failing against each other.
    """

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._waiters: dict[Hashable, int] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiters[key] = self._waiters.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiters[key] -= 1
            if not self._waiters[key]:  # forget idle keys so the map stays small
                del self._waiters[key], self._locks[key]


class Batches(Generic[Request, Result]):
    """Requests made while one command is in flight go together in the next command.

    Concurrent handlers (different keys of a batch, a relay's many flushes) each ask for one
    document or one write; sent one by one, every request is a round trip and, in pymongo, about
    a millisecond of client CPU, against a twentieth of that per statement of a bulk command.
    The first request is sent at once, so nothing waits at low load; the ones that arrive while
    it is in flight are sent together when it returns, ``STATEMENTS_PER_COMMAND`` at most.
    """

    def __init__(
        self, send: Callable[[list[Request]], Awaitable[Sequence[Result | Exception]]]
    ) -> None:
        """``send`` runs one command for the requests and returns each one's result, in order
        (an exception for a request that failed alone); if it raises, every request of that
        command fails with the error."""
        self._send = send
        self._queued: list[tuple[Request, asyncio.Future[Result]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def __call__(self, request: Request) -> Result:
        answered: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queued.append((request, answered))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_queued())
        return await answered

    async def _send_queued(self) -> None:
        while self._queued:
            chunk = self._queued[:STATEMENTS_PER_COMMAND]
            del self._queued[:STATEMENTS_PER_COMMAND]
            try:
                results = await self._send([request for request, _ in chunk])
            except Exception as error:
                for _, answered in chunk:
                    if not answered.done():
                        answered.set_exception(error)
            except BaseException:  # cancelled (shutdown): nobody is left to send the rest
                for _, answered in chunk + self._queued:
                    answered.cancel()
                self._queued.clear()
                raise
            else:
                for (_, answered), result in zip(chunk, results, strict=True):
                    if answered.done():
                        continue
                    if isinstance(result, Exception):
                        answered.set_exception(result)
                    else:
                        answered.set_result(result)
