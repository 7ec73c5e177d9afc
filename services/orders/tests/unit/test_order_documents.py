"""An order's Mongo document: the promise, the delay and the lines' sellers round-trip, and
documents stored before them still load."""

import uuid
from datetime import UTC, date, datetime

from orders.adapters.mongo_orders import from_document, to_document
from orders.domain.order import Delay, Order, OrderLine, OrderStatus, StatusChange
from orders.domain.promise import Window

AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def an_order() -> Order:
    return Order(
        order_id="ord_doc_1",
        market="US",
        currency="USD",
        lines=(OrderLine("TEE-BLK-M", 2, 1999, "sel_01J9ZA4S7K2L"),),
        status=OrderStatus.PICKED_UP,
        history=(StatusChange(OrderStatus.PICKED_UP, AT, uuid.uuid4()),),
        placed_event_id=uuid.uuid4(),
        content_hash="h",
        dispatch_by=datetime(2026, 12, 8, 4, 59, 59, tzinfo=UTC),
        promised_delivery=Window(date(2026, 12, 9), date(2026, 12, 14)),
        delay=Delay(forecast_delivery=date(2026, 12, 16), promised_latest=date(2026, 12, 14)),
    )


def test_the_promise_delay_and_sellers_round_trip() -> None:
    order = an_order()
    document = to_document(order)
    assert document["promised_delivery"] == {"earliest": "2026-12-09", "latest": "2026-12-14"}
    assert from_document(document) == order


def test_a_document_stored_before_promises_and_sellers_loads_without_them() -> None:
    document = to_document(an_order())
    for name in ("dispatch_by", "promised_delivery", "delay"):
        del document[name]
    for line in document["lines"]:
        del line["seller_id"]
    order = from_document(document)
    assert (order.dispatch_by, order.promised_delivery, order.delay) == (None, None, None)
    assert order.lines == (OrderLine("TEE-BLK-M", 2, 1999),)
