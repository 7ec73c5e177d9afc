"""A receipt naming an inbound shipment (ASN) is reconciled against it, after the stock took it.

The stock counts the receipt as always; the ASN counts its units once per SKU and receipt
reference (a redelivery changes nothing twice) and tells what differs. A receipt naming an ASN
that is not known, or another seller's, is reconciled against nothing (the goods are real: the
stock has them) and logged; one after the reconciliation ended leaves it as it ended.
"""

import logging

from conveyor_contracts.warehouse import GoodsReceived
from conveyor_runtime.outlet import Cause
from inventory.domain.inbound import Asn, Outcome, receive
from inventory.usecases.context import Inventory

log = logging.getLogger(__name__)


async def reconcile_inbound_on_goods_received(event: GoodsReceived, inventory: Inventory) -> None:
    if event.asn_id is None or inventory.inbound is None:
        return
    calendar = inventory.policy.calendar
    seen: list[Asn] = []

    def received(current: Asn) -> Outcome:
        seen.append(current)
        if event.seller_id not in (None, current.seller_id):
            return current, []
        return receive(
            current, event.sku, event.quantity, event.receipt_ref, event.occurred_at, calendar
        )

    # Caused by the receipt (ids derive from the ASN), in the ASN's own correlation.
    cause = Cause(event.event_id, inventory.clock())
    updated = await inventory.inbound.update(event.asn_id, received, cause)
    # Ids and references only: no personal data here.
    where = {"asn_id": event.asn_id, "receipt_ref": event.receipt_ref, "sku": event.sku}
    if updated is None:
        log.warning("receipt names an unknown inbound shipment: stock only", extra=where)
    elif event.seller_id not in (None, updated.seller_id):
        log.warning("receipt names another seller's inbound shipment: stock only", extra=where)
    elif seen and seen[-1].outcome is not None:
        log.info("receipt after the inbound reconciliation ended: stock only", extra=where)
