"""Support keeps, per order, what after-sales needs: the purchase from ``OrderPlaced`` (market,
currency, priced lines and their sellers, delivery address and recipient), whose goods each
parcel carries (``ShipmentBooked``'s lines' sellers) and when an outbound parcel was delivered
(``ShipmentDelivered``, direction ``outbound``). Facts of one order arrive on several topics in
any order; each is kept once."""

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.envelope import OrderEnvelope
from conveyor_contracts.shipping import ShipmentBooked
from conveyor_contracts.shipping.tracking import ShipmentDelivered
from support.domain.aftersales import ParcelSellers, Purchase
from support.domain.cases import OrderCases
from support.domain.decisions import with_delivery, with_parcel, with_purchase
from support.domain.events import SupportEvent
from support.usecases.context import Support, upsert_cases


async def keep_aftersales_facts(event: OrderEnvelope, support: Support) -> None:
    cause = support.cause_of(event)
    if isinstance(event, OrderPlaced):
        purchase = Purchase.of(event)

        def change(cases: OrderCases) -> tuple[OrderCases, list[SupportEvent]]:
            return with_purchase(cases, purchase, cause.at)

    elif isinstance(event, ShipmentDelivered) and event.direction == "outbound":
        delivered = event.scanned_at

        def change(cases: OrderCases) -> tuple[OrderCases, list[SupportEvent]]:
            return with_delivery(cases, delivered, cause.at)

    elif isinstance(event, ShipmentBooked):
        parcel = ParcelSellers.of(event)

        def change(cases: OrderCases) -> tuple[OrderCases, list[SupportEvent]]:
            return with_parcel(cases, parcel)

    else:
        return
    await upsert_cases(support, event.order_id, event.correlation_id, change, cause)
