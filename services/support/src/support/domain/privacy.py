"""How long support keeps a buyer's personal data, and erasing it. Pure rules.

Support holds the purchase's delivery address and recipient (for a return's collection), what
buyers and agents wrote in cases, and, on the timeline, the buyer id that links the order to its
buyer. Once the order is over for support (no case open) they are kept for the retention
(90 days by default, past every market's return window) and then the address, recipient and
texts are erased. On the buyer's request they are erased at once, the buyer link too: nothing
support does needs them while a parcel is in flight (shipping keeps its own copy), and a return
asked after that has nowhere to be collected from, so it is refused. Cases, statuses, amounts and
the timeline's entries stay readable.
"""

from dataclasses import replace
from datetime import datetime, timedelta

from conveyor_contracts.privacy import erased, holds_personal_data
from support.domain.aftersales import Purchase
from support.domain.cases import OrderCases, next_response_due
from support.domain.events import PersonalDataForgotten, SupportEvent

REMEMBERED_REQUESTS = 20  # a buyer asks once, perhaps again; never this often for one order


def holds_personal(cases: OrderCases) -> bool:
    return (cases.purchase is not None and purchase_holds_personal(cases.purchase)) or any(
        case.summary is not None for case in cases.cases
    )


def purchase_holds_personal(purchase: Purchase) -> bool:
    return holds_personal_data(purchase.ship_to) or holds_personal_data(purchase.recipient)


def settled_at(cases: OrderCases) -> datetime | None:
    """When support last heard of the order (its purchase, its delivery, a case), by its own
    clock, if none of its cases is open; else None.

    An order with no fact dated (a document made by a request alone) has nothing to forget.
    """
    if any(not case.ended for case in cases.cases):
        return None
    instants = [cases.heard_at]
    for case in cases.cases:
        instants += [case.opened_at, case.updated_at, case.escalated_at]
    return max(filter(None, instants), default=None)


def forget_at(cases: OrderCases, retention: timedelta) -> datetime | None:
    if not holds_personal(cases):
        return None
    ended = settled_at(cases)
    return None if ended is None else ended + retention


def forgotten(cases: OrderCases) -> OrderCases:
    """The order's cases without personal data: the purchase's address and recipient erased,
    every case's free text gone; everything else as it was."""
    purchase = cases.purchase
    if purchase is not None:
        purchase = forgotten_purchase(purchase)
    return replace(
        cases,
        purchase=purchase,
        cases=tuple(replace(case, summary=None) for case in cases.cases),
    )


def erased_on_request(
    cases: OrderCases, request_id: str, erasure_id: str
) -> tuple[OrderCases, list[SupportEvent]]:
    """The buyer's request ``request_id`` (its event id) done at once, and confirmed once."""
    if request_id in cases.erasures:
        return cases, []  # a redelivery: confirmed already
    erasures = (*cases.erasures, request_id)[-REMEMBERED_REQUESTS:]
    confirmed = PersonalDataForgotten(cases.order_id, erasure_id)
    return replace(forgotten(cases), erasures=erasures), [confirmed]


def forgotten_if_due(cases: OrderCases, now: datetime, retention: timedelta) -> OrderCases:
    """``cases`` forgotten, silently, once the retention has passed."""
    due = forget_at(cases, retention)
    return forgotten(cases) if due is not None and due <= now else cases


def forgotten_purchase(purchase: Purchase) -> Purchase:
    return replace(purchase, ship_to=erased(purchase.ship_to), recipient=erased(purchase.recipient))


def next_due(cases: OrderCases, retention: timedelta) -> datetime | None:
    """The earliest of the first-response deadlines and the personal data's, for the timer."""
    due = (next_response_due(cases), forget_at(cases, retention))
    return min(filter(None, due), default=None)
