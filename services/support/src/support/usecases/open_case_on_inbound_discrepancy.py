"""A seller's inbound shipment that did not arrive as announced becomes a case for the seller:
opened by the ASN's first discrepancy, noting each further one, told how the reconciliation
ended. The announcement itself needs no one."""

from conveyor_contracts.inbound import (
    InboundDiscrepancyFound,
    InboundEnvelope,
    InboundShipmentReconciled,
)
from support.domain.inbound_cases import Discrepancy, inbound_case_id, unopened
from support.usecases.context import Support


async def open_case_on_inbound_discrepancy(event: InboundEnvelope, support: Support) -> None:
    case_id = inbound_case_id(event.asn_id)
    if isinstance(event, InboundShipmentReconciled):
        now = support.clock()
        await support.inbound.update(case_id, lambda case: case.reconciled(event.outcome, now))
        return  # an ASN reconciled without a discrepancy has no case, and needs none
    if not isinstance(event, InboundDiscrepancyFound):
        return
    discrepancy = Discrepancy(
        event.kind, event.sku, event.expected, event.received, found_at=support.clock()
    )
    new = unopened(
        event.asn_id,
        seller_id=event.seller_id,
        warehouse_id=event.warehouse_id,
        at=discrepancy.found_at,
        first_response=support.first_response,
    )
    await support.inbound.upsert(
        case_id, lambda case: case.noting(discrepancy, support.first_response), new
    )
