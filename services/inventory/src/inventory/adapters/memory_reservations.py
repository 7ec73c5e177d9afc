"""Reservations in a dict: the repository for fast tests, same contract as the Mongo one.

Each write's events go to the reservation's outbox in a ``MemoryOutboxStore``. Given a relay
(the component tests' app), the repository tells it of each write, and the relay publishes and
removes them as it does Mongo's; without one (unit tests) every event a reservation emitted
stays in ``outboxes``. Given ``deadlines`` (a timer poller's ``stored``), each write reports the
reservation's ``due_at``, as the Mongo documents do, so its backorder's deadline fires.
"""

from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime

from conveyor_runtime.documents import Stored
from conveyor_runtime.memory import MemoryOutboxStore
from conveyor_runtime.outbox import OutboxMessage, OutboxRelay
from conveyor_runtime.outlet import Cause, Outlet
from conveyor_runtime.timers import DUE_FIELD
from conveyor_runtime.tracing import current_trace_context
from inventory.adapters.wire import inventory_outlet
from inventory.domain.events import InventoryEvent, ReservationEvent
from inventory.domain.reservation import Reservation, correlation_of
from inventory.ports import Change


class MemoryReservations:
    def __init__(
        self,
        store: MemoryOutboxStore | None = None,
        relay: OutboxRelay | None = None,
        deadlines: Stored | None = None,
        outlet: Outlet[InventoryEvent] | None = None,
    ) -> None:
        self.reservations: dict[str, Reservation] = {}
        self.outlet = outlet or inventory_outlet()
        self.store = store if store is not None else MemoryOutboxStore()
        self.relay = relay
        self.deadlines = deadlines
        # Per reservation, the trace of the write that created it: its deadline fires in it.
        self._order_traces: dict[str, dict[str, str]] = {}

    @property
    def outboxes(self) -> Mapping[Hashable, list[OutboxMessage]]:
        """Per reservation key, its events not published yet."""
        return self.store.outboxes

    async def add(
        self, reservation: Reservation, events: Sequence[ReservationEvent], cause: Cause
    ) -> bool:
        if reservation.key in self.reservations:
            return False
        self.reservations[reservation.key] = reservation
        self._order_traces[reservation.key] = current_trace_context()
        messages = self.outlet.messages(cause, events, correlation_of(reservation))
        self._written(reservation, messages)
        return True

    async def update(self, key: str, change: Change, cause: Cause) -> Reservation | None:
        if key not in self.reservations:
            return None
        wired = self.outlet.change(cause, change, correlation_of=correlation_of)
        self.reservations[key], events = wired(self.reservations[key])
        self._written(self.reservations[key], events)
        return self.reservations[key]

    def _written(self, reservation: Reservation, events: Sequence[OutboxMessage]) -> None:
        # Stored and announced with no await between: the relay cannot flush in the middle.
        key = reservation.key
        self.store.append(key, events)
        if events and self.relay is not None:
            self.relay.notify(key)  # it reads the outbox back, as after a sweep
        if self.deadlines is not None:
            self.deadlines(key, {DUE_FIELD: reservation.due_at}, self._order_traces.get(key))

    async def get(self, key: str) -> Reservation | None:
        return self.reservations.get(key)

    async def waiting_for(self, sku: str) -> list[Reservation]:
        waiting = [r for r in self.reservations.values() if sku in r.waiting_skus]
        return sorted(waiting, key=_age)


def _age(reservation: Reservation) -> tuple[datetime, str]:
    assert reservation.backorder is not None  # waiting_skus is only set on backorders
    return reservation.backorder.since, reservation.order_id
