"""Reservations in a dict: the repository for fast tests, same contract as the Mongo one."""

from collections.abc import Sequence
from datetime import datetime

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

    async def waiting_for(self, sku: str) -> list[Reservation]:
        waiting = [r for r in self.reservations.values() if sku in r.waiting_skus]
        return sorted(waiting, key=_age)


def _age(reservation: Reservation) -> tuple[datetime, str]:
    assert reservation.backorder is not None  # waiting_skus is only set on backorders
    return reservation.backorder.since, reservation.order_id
