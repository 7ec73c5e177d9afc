"""Support keeps, per order, what after-sales needs: the purchase from ``OrderPlaced`` (market,
currency, priced lines, delivery address and recipient) and when an outbound parcel was
delivered (``ShipmentDelivered``, direction ``outbound``). Facts of one order arrive on several
topics in any order; each is kept once."""

from dataclasses import replace

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.envelope import OrderEnvelope
from conveyor_contracts.shipping.tracking import ShipmentDelivered
from conveyor_runtime.outbox import OutboxMessage
from support.domain.aftersales import Purchase
from support.domain.cases import OrderCases
from support.domain.privacy import forgotten_purchase
from support.usecases.context import Support, upsert_cases


async def keep_aftersales_facts(event: OrderEnvelope, support: Support) -> None:
    now = support.clock()
    if isinstance(event, OrderPlaced):
        purchase = Purchase.of(event)

        def change(cases: OrderCases) -> tuple[OrderCases, list[OutboxMessage]]:
            if cases.purchase is not None:
                return cases, []  # an order is placed once: the first word stands
            if cases.erasures:  # the buyer's request came first: keep nothing of them
                return replace(cases, purchase=forgotten_purchase(purchase), heard_at=now), []
            return replace(cases, purchase=purchase, heard_at=now), []

    elif isinstance(event, ShipmentDelivered) and event.direction == "outbound":
        delivered = event.scanned_at

        def change(cases: OrderCases) -> tuple[OrderCases, list[OutboxMessage]]:
            if cases.delivered_at is not None and cases.delivered_at >= delivered:
                return cases, []
            # The last parcel's arrival.
            return replace(cases, delivered_at=delivered, heard_at=now), []

    else:
        return
    await upsert_cases(support, event.order_id, event.correlation_id, change)
