"""A backorder's bound passed unfilled: report the order short (orders then rejects it), once.

Called by the timer poller for a reservation whose ``due_at`` passed. The versioned update is the
claim: it only turns a still-backordered reservation past its deadline into SHORT, moving
``due_at`` to None, with the StockShortage in the same write; a fill that claimed it first wins.
"""

import uuid
from dataclasses import replace
from datetime import datetime

from conveyor_contracts.inventory import ShortLine, StockShortage
from conveyor_runtime.outbox import OutboxMessage
from inventory.domain.allocation import Short
from inventory.domain.reservation import Reservation, ReservationStatus
from inventory.usecases.context import Inventory
from inventory.usecases.emit import order_event
from inventory.usecases.holds import plan


async def expire_backorder_on_timer(order_id: str, now: datetime, inventory: Inventory) -> bool:
    """True if the order was reported short now."""
    stored = await inventory.reservations.get(order_id)
    if stored is None or stored.backorder is None or not _expired(stored, now):
        return False
    backorder = stored.backorder
    # What the market has now, for the report; the lines as backordered if it could fill it now
    # (nothing is reserved past the bound).
    outcome = await plan(inventory, backorder.lines, backorder.market)
    short_lines = outcome.short_lines if isinstance(outcome, Short) else backorder.short_lines
    shortage = order_event(
        StockShortage,
        topics=inventory.topics,
        cause_id=uuid.UUID(backorder.cause),
        name=StockShortage.__name__,
        order_id=order_id,
        correlation_id=backorder.correlation_id,
        now=now,
        short_lines=tuple(
            ShortLine(sku=sku, requested=requested, available=has)
            for sku, requested, has in short_lines
        ),
    )

    expired: list[bool] = []

    def expire(current: Reservation) -> tuple[Reservation, list[OutboxMessage]]:
        if not _expired(current, now):
            return current, []
        expired.append(True)
        return replace(current, status=ReservationStatus.SHORT), [shortage]

    await inventory.reservations.update(order_id, expire)
    return bool(expired)


def _expired(reservation: Reservation | None, now: datetime) -> bool:
    return (
        reservation is not None
        and reservation.status is ReservationStatus.BACKORDERED
        and reservation.backorder is not None
        and reservation.backorder.deadline <= now
    )
