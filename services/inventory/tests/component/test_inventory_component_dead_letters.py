"""What inventory cannot handle is parked on the topic's dead-letter topic with its reason, and
the consumer goes on with the next message."""

from inventory_component import CONSUMED, InventoryComponent, event, new_order_id

from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.topics import INVENTORY_RESERVATIONS, WAREHOUSE_RETURNS
from conveyor_contracts.warehouse import ReturnInspected

NOT_AN_EVENT = b'{"event_type": "OrderAccepted"'


async def test_bytes_that_are_no_event_are_parked_with_their_reason_on_every_topic_inventory_reads(
    inventory: InventoryComponent,
) -> None:
    for spec in CONSUMED:
        await inventory.publish(spec, NOT_AN_EVENT, key="k", headers={"a": "b"})
    parked = {spec.name: await inventory.next(spec, dead_letter=True) for spec in CONSUMED}
    _, reserved = await inventory.reserve()  # the next message is handled as ever

    for spec in CONSUMED:
        message = parked[spec.name]
        assert message.body == NOT_AN_EVENT  # the original bytes, to replay
        assert message.key == "k"
        assert message.headers["x-dlq-reason"].startswith("ValidationError: ")
        assert message.headers["x-dlq-original-topic"] == inventory.topic(spec)
        assert message.headers["x-dlq-consumer-group"] == inventory.settings.topic("inventory")
        assert message.headers["a"] == "b"  # the original headers travel with it
        assert inventory.consumed(spec, "dead_lettered") == 1
    assert isinstance(reserved, StockReserved)


async def test_a_returned_parcel_of_an_order_inventory_does_not_know_is_parked_with_the_reason(
    inventory: InventoryComponent,
) -> None:
    inspected = event(ReturnInspected, new_order_id())

    await inventory.publish(WAREHOUSE_RETURNS, inspected)

    parked = await inventory.next(WAREHOUSE_RETURNS, dead_letter=True)
    assert parked.headers["x-dlq-reason"] == (
        f"PermanentError: returned parcel {inspected.shipment_id}: "
        f"order {inspected.order_id} unknown"
    )
    assert WAREHOUSE_RETURNS.adapter.validate_json(parked.body) == inspected
    await inventory.settled()
    assert inventory.waiting(INVENTORY_RESERVATIONS) == 0
