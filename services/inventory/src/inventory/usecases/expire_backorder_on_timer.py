"""A backorder's bound passed unfilled: report the order short (orders then rejects it), once.

Called by the timer poller for a reservation whose ``due_at`` passed. The versioned update is the
claim: it only turns a still-backordered reservation past its deadline into SHORT, moving
``due_at`` to None, with the StockShortage in the same write; a fill that claimed it first wins.
"""

import uuid
from datetime import datetime

from conveyor_runtime.outlet import Cause
from inventory.domain.allocation import Short
from inventory.domain.changes import Outcome, expire
from inventory.domain.reservation import Reservation, expired_by
from inventory.usecases.context import Inventory
from inventory.usecases.holds import plan


async def expire_backorder_on_timer(order_id: str, now: datetime, inventory: Inventory) -> bool:
    """True if the order was reported short now."""
    stored = await inventory.reservations.get(order_id)
    if stored is None or stored.backorder is None or not expired_by(stored, now):
        return False
    backorder = stored.backorder
    # What the market has now, for the report; the lines as backordered if it could fill it now
    # (nothing is reserved past the bound).
    outcome = await plan(inventory, backorder.lines, backorder.market)
    short_lines = outcome.short_lines if isinstance(outcome, Short) else backorder.short_lines
    # No message is the cause: the StockShortage answers the OrderAccepted that backordered it,
    # in the order's correlation.
    cause = Cause(uuid.UUID(backorder.cause), now)
    reported: list[bool] = []

    def expired(current: Reservation) -> Outcome:
        after, events = expire(current, now, short_lines)
        reported.append(bool(events))
        return after, events

    await inventory.reservations.update(order_id, expired, cause)
    return any(reported)
