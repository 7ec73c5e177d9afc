"""One order's way through shipping's use cases on the in-memory world, step by step: run to
its booking, and its shipments read back."""

from shipping_testkit import World, accepted, reserved

from shipping.usecases.prepare_shipping_on_order_events import (
    plan_shipments_on_stock_reserved,
    record_order_on_order_accepted,
)

ORDER = "ord_01J9Z3K8M4QH2V"


async def booked(w: World, *warehouses: str) -> list[str]:
    """Run an order to 'booking requested'; its shipment ids."""
    await record_order_on_order_accepted(accepted(ORDER, w.clock), w.shipping)
    await plan_shipments_on_stock_reserved(reserved(ORDER, *warehouses), w.shipping)
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    return [s.shipment_id for s in fulfilment.shipments]


async def shipment(w: World, shipment_id: str):  # type: ignore[no-untyped-def]
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    return fulfilment.shipment(shipment_id)
