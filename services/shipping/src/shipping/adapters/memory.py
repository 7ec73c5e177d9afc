"""In-memory adapters: for fast tests of the use cases, and for the component tests' app.

A write's messages go to the order's outbox in a ``MemoryOutboxStore``. Given a relay (the
component tests' app), the repository tells it of each write, and the relay publishes and
removes them as it does Mongo's; without one (unit tests) they stay there. Either way
``published`` records every message emitted, in order. Given ``deadlines``, each write reports
the order's next deadline to the timer poller, as the Mongo repository's writes do.
"""

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from conveyor_runtime.documents import Stored
from conveyor_runtime.memory import MemoryOutboxStore
from conveyor_runtime.outbox import OutboxMessage, OutboxRelay
from conveyor_runtime.outlet import Cause, Outlet
from conveyor_runtime.timers import DUE_FIELD
from conveyor_runtime.tracing import current_trace_context
from shipping.adapters.wire import shipping_outlet
from shipping.domain.events import ShippingEvent
from shipping.domain.privacy import next_deadline
from shipping.domain.shipment import Fulfilment, Shipment
from shipping.ports import Change


@dataclass(frozen=True)
class DeadlineReport:
    """Tells the timer poller (``stored``: its ``TimerPoller.stored``) when an order's next
    deadline is, computed as the Mongo repository stores it in ``due_at``."""

    stored: Stored
    silence: timedelta
    retention: timedelta

    def __call__(self, fulfilment: Fulfilment, order_trace: Mapping[str, str]) -> None:
        due = next_deadline(fulfilment, self.silence, self.retention)
        self.stored(fulfilment.order_id, {DUE_FIELD: due}, order_trace)


class MemoryFulfilments:
    def __init__(
        self,
        store: MemoryOutboxStore | None = None,
        relay: OutboxRelay | None = None,
        deadlines: Callable[[Fulfilment, Mapping[str, str]], None] | None = None,
        outlet: Outlet[ShippingEvent] | None = None,
    ) -> None:
        self.fulfilments: dict[str, Fulfilment] = {}
        self.published: list[OutboxMessage] = []  # every message emitted, in order
        self.store = store if store is not None else MemoryOutboxStore()
        self.relay = relay
        self.deadlines = deadlines
        self.outlet = outlet or shipping_outlet()
        # Per order, the trace current when it was first stored, as the Mongo document keeps
        # it: a deadline's firing is a span in that trace.
        self.order_traces: dict[str, dict[str, str]] = {}

    @property
    def outboxes(self) -> Mapping[Hashable, list[OutboxMessage]]:
        """Per order, its messages not published yet."""
        return self.store.outboxes

    async def add(
        self, fulfilment: Fulfilment, events: Sequence[ShippingEvent], cause: Cause
    ) -> bool:
        if fulfilment.order_id in self.fulfilments:
            return False
        messages = self.outlet.messages(cause, events, fulfilment.correlation_id)
        self._stored(fulfilment.order_id, fulfilment, messages)
        return True

    async def update(self, order_id: str, change: Change, cause: Cause) -> Fulfilment | None:
        current = self.fulfilments.get(order_id)
        if current is None:
            return None
        after, messages = self.outlet.change(cause, change, _correlation)(current)
        self._stored(order_id, after, messages)
        return after

    async def upsert(
        self, order_id: str, change: Change, new: Fulfilment, cause: Cause
    ) -> Fulfilment:
        wired = self.outlet.change(cause, change, _correlation)
        after, messages = wired(self.fulfilments.get(order_id, new))
        if order_id in self.fulfilments or after != new or messages:
            self._stored(order_id, after, messages)
        return after

    def _stored(
        self, order_id: str, fulfilment: Fulfilment, messages: Sequence[OutboxMessage]
    ) -> None:
        # Stored, recorded and announced with no await between: the relay cannot flush in
        # the middle, and the poller learns the deadline of exactly what was stored.
        self.fulfilments[order_id] = fulfilment
        order_trace = self.order_traces.setdefault(order_id, current_trace_context())
        self.published += messages
        self.store.append(order_id, messages)
        if messages and self.relay is not None:
            self.relay.notify(order_id)  # it reads the outbox back, as after a sweep
        if self.deadlines is not None:
            self.deadlines(fulfilment, order_trace)

    async def get(self, order_id: str) -> Fulfilment | None:
        return self.fulfilments.get(order_id)

    async def with_shipment(self, shipment_id: str) -> Fulfilment | None:
        return next(
            (f for f in self.fulfilments.values() if f.shipment(shipment_id) is not None), None
        )

    async def active_since(self, since: datetime) -> list[Fulfilment]:
        return [
            replace(f, details=None)
            for f in self.fulfilments.values()
            if any(instant >= since for s in f.shipments for instant in _instants(s))
        ]


def _instants(shipment: Shipment) -> Iterator[datetime]:
    """When the shipment's carriers were asked, declined and scanned it."""
    for request in shipment.bookings:
        yield request.asked_at
        if request.declined_at is not None:
            yield request.declined_at
    for scan in shipment.scans:
        yield scan.scanned_at


def _correlation(fulfilment: Fulfilment) -> str:
    return fulfilment.correlation_id  # the order's, whatever caused the change


class MemoryCarrierCapacity:
    def __init__(self) -> None:
        self.claims: dict[tuple[str, date], set[str]] = {}

    async def claim(self, carrier_code: str, day: date, shipment_id: str, limit: int) -> bool:
        claimed = self.claims.setdefault((carrier_code, day), set())
        if shipment_id in claimed:
            return True
        if len(claimed) >= limit:
            return False
        claimed.add(shipment_id)
        return True

    async def release(self, carrier_code: str, day: date, shipment_id: str) -> None:
        self.claims.get((carrier_code, day), set()).discard(shipment_id)
