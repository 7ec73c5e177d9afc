"""In-memory adapters for fast tests of the use cases."""

from collections.abc import Sequence
from datetime import date

from conveyor_runtime.outbox import OutboxMessage
from shipping.domain.shipment import Fulfilment
from shipping.ports import Change


class MemoryFulfilments:
    def __init__(self) -> None:
        self.fulfilments: dict[str, Fulfilment] = {}
        self.published: list[OutboxMessage] = []

    async def add(self, fulfilment: Fulfilment, messages: Sequence[OutboxMessage]) -> bool:
        if fulfilment.order_id in self.fulfilments:
            return False
        self.fulfilments[fulfilment.order_id] = fulfilment
        self.published += messages
        return True

    async def update(self, order_id: str, change: Change) -> Fulfilment | None:
        current = self.fulfilments.get(order_id)
        if current is None:
            return None
        after, messages = change(current)
        self.fulfilments[order_id] = after
        self.published += messages
        return after

    async def upsert(self, order_id: str, change: Change, new: Fulfilment) -> Fulfilment:
        after, messages = change(self.fulfilments.get(order_id, new))
        if order_id in self.fulfilments or after != new or messages:
            self.fulfilments[order_id] = after
            self.published += messages
        return after

    async def get(self, order_id: str) -> Fulfilment | None:
        return self.fulfilments.get(order_id)

    async def with_shipment(self, shipment_id: str) -> Fulfilment | None:
        return next(
            (f for f in self.fulfilments.values() if f.shipment(shipment_id) is not None), None
        )


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
