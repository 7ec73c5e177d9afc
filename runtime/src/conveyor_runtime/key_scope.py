"""The changes made to a key's own documents while the consumer handles that key's messages,
held and written once (see ``OutboxDocuments``'s ``coalesced``).
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from opentelemetry import context as otel_context

from conveyor_runtime.outbox import OutboxMessage

if TYPE_CHECKING:
    from conveyor_runtime.documents import OutboxDocuments

T = TypeVar("T")


@dataclass(eq=False)
class Held(Generic[T]):
    """A document's changes held by a ``KeyScope``: the copy they apply to, not yet written."""

    owner: "OutboxDocuments[T]"
    key: str
    document: dict[str, Any]  # as read (its version is the one the write expects), then changed
    order_trace: Mapping[str, str] | None
    from_cache: bool
    changed: T | None = None  # the value after the last held change; None: nothing to write
    events: list[OutboxMessage] = field(default_factory=list)
    context: otel_context.Context | None = None

    async def write(self) -> None:
        """The owner's versioned write of the held changes, in the trace they were made in."""
        assert self.changed is not None
        token = otel_context.attach(self.context) if self.context is not None else None
        try:
            async with self.owner.locks.hold(self.key):
                await self.owner._write(self.document, self.changed, self.events, self.order_trace)
        finally:
            if token is not None:
                otel_context.detach(token)


class KeyScope:
    """The changes made while the messages of one key are handled, written at ``flush``."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.held: dict[tuple[int, str], Held[Any]] = {}

    async def flush(self) -> None:
        """Write each held document once, with all its events; ConcurrentUpdateError when
        another process wrote one meanwhile (what was already written stays written)."""
        for document, held in list(self.held.items()):
            if held.changed is not None:
                await held.write()
            del self.held[document]  # written: a retry of the flush leaves it alone


_scope: ContextVar[KeyScope | None] = ContextVar("conveyor_key_scope", default=None)


@contextmanager
def coalescing(key: str) -> Iterator[KeyScope]:
    """Hold the changes of coalesced documents whose ``_id`` is ``key`` until ``flush``.

    The consumer opens one around the messages of one key in a batch, and flushes it before the
    batch is committed: several events of one order change its document with one write.
    """
    scope = KeyScope(key)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def current_scope() -> KeyScope | None:
    """The scope ``coalescing`` opened for the key being handled; None outside one."""
    return _scope.get()
