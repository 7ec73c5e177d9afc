"""A support case approved sending lines again: reserve them for the order as a new reservation,
once per case, with the allocation rules of an accepted order; never backordered.

The reservation id derives from the case id and the reservation is stored under its own key
(``reshipment_key``), next to the order's own reservation, whose market it reuses. As for an
accepted order, the plan is recorded (``pending``) before stock is touched, a redelivery that
finds it pending gives back what was taken and starts again, and one that finds it settled
(``reserved`` or ``short``) changes nothing. What the market cannot cover is reported
``StockShortage`` at once, whatever the unfillable policy.
"""

from conveyor_contracts.support import ReshipmentApproved
from conveyor_runtime.failures import PermanentError
from inventory.domain.allocation import Short
from inventory.domain.changes import report_short
from inventory.domain.reservation import (
    ReservationStatus,
    market_of,
    opened,
    reservation_id_for_case,
    reshipment_key,
)
from inventory.usecases.context import Inventory
from inventory.usecases.holds import give_back, settle
from inventory.usecases.reserve import NewReservation, reserve, sellers_of, wanted


async def reserve_stock_on_reshipment_approved(
    event: ReshipmentApproved, inventory: Inventory
) -> None:
    rid = reservation_id_for_case(event.case_id)
    stored = await inventory.reservations.get(reshipment_key(rid))
    if stored is not None and stored.status is not ReservationStatus.PENDING:
        return
    market = await _market_of_order(event, inventory)
    if stored is not None:
        # An earlier attempt of this case died half-way: undo it and start again.
        await give_back(inventory, event, stored.allocations, rid)
    cause = inventory.cause(event)
    # The case rides on the reservation, so its StockReserved carries it.
    reshipment = opened(event.order_id, rid, market, event.case_id)
    ledger = NewReservation(inventory.reservations, reshipment, str(event.event_id), cause)
    subject, sellers = f"reshipment {event.case_id}", sellers_of(event.lines)
    outcome = await reserve(inventory, event, wanted(event.lines), market, ledger, subject, sellers)
    if isinstance(outcome, Short):
        await settle(inventory.reservations, cause, *report_short(reshipment, outcome.short_lines))


async def _market_of_order(event: ReshipmentApproved, inventory: Inventory) -> str:
    original = await inventory.reservations.get(event.order_id)
    market = None if original is None else market_of(original, inventory.policy.warehouses)
    if market is None:
        raise PermanentError(
            f"reshipment of case {event.case_id}: the market of order {event.order_id} is unknown"
        )
    return market
