"""In-memory adapters for fast tests of the use cases."""

from collections.abc import Sequence

from conveyor_runtime.outbox import OutboxMessage
from support.domain.cases import OrderCases
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
        after, _ = change(current)
        self.timelines[order_id] = after
        return after

    async def upsert(self, order_id: str, change: TimelineChange, new: Timeline) -> Timeline:
        after, _ = change(self.timelines.get(order_id, new))
        if order_id in self.timelines or after != new:
            self.timelines[order_id] = after
        return after

    async def get(self, order_id: str) -> Timeline | None:
        return self.timelines.get(order_id)


class MemoryCases:
    def __init__(self) -> None:
        self.orders: dict[str, OrderCases] = {}
        self.published: list[OutboxMessage] = []

    async def add(self, cases: OrderCases, messages: Sequence[OutboxMessage]) -> bool:
        if cases.order_id in self.orders:
            return False
        self.orders[cases.order_id] = cases
        self.published += messages
        return True

    async def update(self, order_id: str, change: CasesChange) -> OrderCases | None:
        current = self.orders.get(order_id)
        if current is None:
            return None
        after, messages = change(current)
        self.orders[order_id] = after
        self.published += messages
        return after

    async def upsert(self, order_id: str, change: CasesChange, new: OrderCases) -> OrderCases:
        after, messages = change(self.orders.get(order_id, new))
        if order_id in self.orders or after != new or messages:
            self.orders[order_id] = after
            self.published += messages
        return after

    async def get(self, order_id: str) -> OrderCases | None:
        return self.orders.get(order_id)

    async def with_case(self, case_id: str) -> OrderCases | None:
        return next((o for o in self.orders.values() if o.case(case_id) is not None), None)
