"""The stock invariant: per (warehouse, SKU), every unit accounted for (``stock_conserved``)."""

from collections import Counter

from conveyor_contracts.inventory import StockRestocked
from conveyor_contracts.topics import INVENTORY_RESERVATIONS, WAREHOUSE_RECEIPTS
from conveyor_contracts.warehouse import GoodsReceived, StockCounted
from conveyor_local.audit.events import of_kind, topic_events
from conveyor_local.audit.read import Snapshot
from conveyor_local.audit.result import Invariant


def stock_conserved(snapshot: Snapshot, invariant: Invariant) -> None:
    """Per (warehouse, SKU), on hand = received + restocked - shipped, where:

    - received: each ``GoodsReceived`` of the receipts topic once per receipt reference (the key
      inventory applies it under, ``applied`` in the stock document), the first one read;
    - restocked: the resellable lines of each returned parcel's ``StockRestocked`` (units back
      on the shelf, applied once per parcel under ``return|<shipment id>``);
    - shipped: for each reservation document (an order's own, or a reshipment's) and each
      warehouse in its ``committed``, the units of its allocation there: they left with the
      carrier, whether the hold was committed or (a cancellation racing the pickup) already
      given back.

    Inventory stores no running totals, so this is the only identity its documents and events
    can be held to; a (warehouse, SKU) whose stock was counted is not checked, since a count
    sets on hand to what the shelf holds. Then ``reserved`` is the sum of the holds, within
    0..on hand, and every hold belongs to a reservation still holding that warehouse's units.
    """
    received: Counter[tuple[str, str]] = Counter()
    counted: set[tuple[str, str]] = set()
    refs: set[tuple[str, str, str]] = set()
    for event in topic_events(snapshot, WAREHOUSE_RECEIPTS):
        key = (event.warehouse_id, event.sku)
        if isinstance(event, StockCounted):
            counted.add(key)
        elif isinstance(event, GoodsReceived) and (*key, event.receipt_ref) not in refs:
            refs.add((*key, event.receipt_ref))
            received[key] += event.quantity
    restocked: Counter[tuple[str, str]] = Counter()
    parcels: set[str] = set()
    for restock in of_kind(topic_events(snapshot, INVENTORY_RESERVATIONS), StockRestocked):
        if restock.shipment_id not in parcels:
            parcels.add(restock.shipment_id)
            for line in restock.restocked:
                restocked[(restock.warehouse_id, line.sku)] += line.quantity
    shipped: Counter[tuple[str, str]] = Counter()
    holding: set[tuple[str, str]] = set()  # (reservation id, warehouse) whose holds may stand
    for reservation in snapshot.collection("inventory", "reservations"):
        for allocation in reservation.get("allocations", []):
            warehouse = allocation["warehouse_id"]
            if warehouse in reservation.get("committed", []):
                for line in allocation["lines"]:
                    shipped[(warehouse, line["sku"])] += line["units"]
            elif reservation.get("status") in ("reserved", "pending"):
                holding.add((reservation["reservation_id"], warehouse))
    for stock in snapshot.collection("inventory", "stock"):
        key = (stock["warehouse_id"], stock["sku"])
        label = f"{stock['sku']}@{stock['warehouse_id']}"
        invariant.checked += 1
        on_hand, reserved, holds = stock["on_hand"], stock["reserved"], stock.get("holds", {})
        expected = received[key] + restocked[key] - shipped[key]
        if key not in counted and on_hand != expected:
            invariant.fail(
                label,
                reason=f"on hand {on_hand}, but received {received[key]} + restocked "
                f"{restocked[key]} - shipped {shipped[key]} = {expected}",
            )
        if not 0 <= reserved <= on_hand or reserved != sum(holds.values()):
            invariant.fail(
                label,
                reason=f"reserved {reserved}, on hand {on_hand}, holds {sum(holds.values())}",
            )
        for reservation_id in sorted(set(holds) - {r for r, w in holding if w == key[0]}):
            invariant.fail(
                label,
                reservation_id,
                reason=f"holds {holds[reservation_id]} for a reservation no longer holding here",
            )
