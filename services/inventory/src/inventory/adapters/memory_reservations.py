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
        if reservation.key in self.reservations:
            return False
        self.reservations[reservation.key] = reservation
        self.outboxes[reservation.key] = list(events)
        return True

    async def update(self, key: str, change: Change) -> Reservation | None:
        if key not in self.reservations:
            return None
        self.reservations[key], events = change(self.reservations[key])
        self.outboxes[key].extend(events)
        return self.reservations[key]

    async def get(self, key: str) -> Reservation | None:
        return self.reservations.get(key)

    async def waiting_for(self, sku: str) -> list[Reservation]:
        waiting = [r for r in self.reservations.values() if sku in r.waiting_skus]
        return sorted(waiting, key=_age)


def _age(reservation: Reservation) -> tuple[datetime, str]:
    assert reservation.backorder is not None  # waiting_skus is only set on backorders
    return reservation.backorder.since, reservation.order_id
