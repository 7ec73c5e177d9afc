"""Reservations in a dict: the repository for fast tests, same contract as the Mongo one."""

from collections.abc import Sequence

from conveyor_runtime.outbox import OutboxMessage
from inventory.domain.reservation import Reservation
from inventory.ports import Change


class MemoryReservations:
    def __init__(self) -> None:
        self.reservations: dict[str, Reservation] = {}
        self.outboxes: dict[str, list[OutboxMessage]] = {}

    async def add(self, reservation: Reservation, events: Sequence[OutboxMessage]) -> bool:
        if reservation.order_id in self.reservations:
            return False
        self.reservations[reservation.order_id] = reservation
        self.outboxes[reservation.order_id] = list(events)
        return True

    async def update(self, order_id: str, change: Change) -> Reservation | None:
        if order_id not in self.reservations:
            return None
        self.reservations[order_id], events = change(self.reservations[order_id])
        self.outboxes[order_id].extend(events)
        return self.reservations[order_id]

    async def get(self, order_id: str) -> Reservation | None:
        return self.reservations.get(order_id)
