"""Timelines and cases in dicts: the repositories for fast tests, with the Mongo ones' contract.

Timelines emit nothing. Each cases write's domain events become messages (its ``outlet``, as in
``MongoCases``) in the order's outbox in a ``MemoryOutboxStore``: given a relay (the component
tests' app), the repository tells it of each write, and the relay publishes and removes them as
it does Mongo's; ``published`` keeps every message ever written, published or not (what the unit
tests read). Given ``deadlines`` (a timer
poller's ``stored``), each write tells them the order's next deadline, as ``MongoCases`` does.
"""

from collections.abc import Hashable, Mapping, Sequence
from datetime import timedelta

from conveyor_runtime.documents import Stored
from conveyor_runtime.memory import MemoryOutboxStore
from conveyor_runtime.outbox import OutboxMessage, OutboxRelay
from conveyor_runtime.outlet import Cause, Outlet, WiredChange
from conveyor_runtime.timers import DUE_FIELD
from conveyor_runtime.tracing import current_trace_context
from support.adapters.wire import order_correlation, support_outlet
from support.domain.cases import OrderCases
from support.domain.events import SupportEvent
from support.domain.privacy import next_due
from support.domain.timeline import Timeline
from support.ports import CasesChange, TimelineChange


class MemoryTimelines:
    def __init__(self) -> None:
        self.timelines: dict[str, Timeline] = {}

    async def add(self, timeline: Timeline) -> bool:
        if timeline.order_id in self.timelines:
            return False
        self.timelines[timeline.order_id] = timeline
        return True

    async def update(self, order_id: str, change: TimelineChange) -> Timeline | None:
        current = self.timelines.get(order_id)
        if current is None:
            return None
        after = change(current)
        self.timelines[order_id] = after
        return after

    async def upsert(self, order_id: str, change: TimelineChange, new: Timeline) -> Timeline:
        after = change(self.timelines.get(order_id, new))
        if order_id in self.timelines or after != new:
            self.timelines[order_id] = after
        return after

    async def get(self, order_id: str) -> Timeline | None:
        return self.timelines.get(order_id)


class MemoryCases:
    def __init__(
        self,
        store: MemoryOutboxStore | None = None,
        relay: OutboxRelay | None = None,
        *,
        deadlines: Stored | None = None,
        retention: timedelta | None = None,
        outlet: Outlet[SupportEvent] | None = None,
    ) -> None:
        if deadlines is not None and retention is None:
            raise ValueError("deadlines need the retention: the personal data's end is one")
        self.orders: dict[str, OrderCases] = {}
        self.published: list[OutboxMessage] = []
        self.store = store if store is not None else MemoryOutboxStore()
        self.relay = relay
        self.deadlines = deadlines
        self.retention = retention
        self.outlet = outlet or support_outlet()
        # Per order, the trace current when its document was made (as Mongo remembers it), so
        # what its deadlines fire belongs to the order's trace.
        self._order_traces: dict[str, Mapping[str, str]] = {}

    @property
    def outboxes(self) -> Mapping[Hashable, list[OutboxMessage]]:
        """Per order, its messages not published yet."""
        return self.store.outboxes

    async def add(self, cases: OrderCases, events: Sequence[SupportEvent], cause: Cause) -> bool:
        if cases.order_id in self.orders:
            return False
        messages = self.outlet.messages(cause, events, order_correlation(cases))
        self._stored(cases.order_id, cases, messages)
        return True

    async def update(self, order_id: str, change: CasesChange, cause: Cause) -> OrderCases | None:
        current = self.orders.get(order_id)
        if current is None:
            return None
        after, messages = self._wired(change, cause)(current)
        self._stored(order_id, after, messages)
        return after

    async def upsert(
        self, order_id: str, change: CasesChange, new: OrderCases, cause: Cause
    ) -> OrderCases:
        after, messages = self._wired(change, cause)(self.orders.get(order_id, new))
        if order_id in self.orders or after != new or messages:
            self._stored(order_id, after, messages)
        return after

    def _wired(self, change: CasesChange, cause: Cause) -> WiredChange[OrderCases]:
        return self.outlet.change(cause, change, correlation_of=order_correlation)

    def _stored(self, order_id: str, cases: OrderCases, messages: Sequence[OutboxMessage]) -> None:
        # Stored, announced and scheduled with no await between: the relay cannot flush (nor the
        # poller fire) in the middle of a write.
        if order_id not in self.orders:
            self._order_traces[order_id] = current_trace_context()
        self.orders[order_id] = cases
        self.published += messages
        self.store.append(order_id, messages)
        if messages and self.relay is not None:
            self.relay.notify(order_id)  # it reads the outbox back, as after a sweep
        if self.deadlines is not None and self.retention is not None:
            due = next_due(cases, self.retention)
            self.deadlines(order_id, {DUE_FIELD: due}, self._order_traces[order_id])

    async def get(self, order_id: str) -> OrderCases | None:
        return self.orders.get(order_id)

    async def with_case(self, case_id: str) -> OrderCases | None:
        return next((o for o in self.orders.values() if o.case(case_id) is not None), None)
