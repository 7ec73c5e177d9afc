"""The topic registry: the only place topic names are spelled.

Partitions bound a consumer group's parallelism, and cannot be changed on a live topic without
moving keys to other partitions (breaking per-order ordering for orders in flight), so they are
chosen ahead of need, as multiples of 3 so 1, 2, 3 or 6 replicas share them evenly.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from conveyor_contracts import (
    checkout,
    erasure,
    inbound,
    inventory,
    orders,
    shipping,
    stock,
    support,
    warehouse,
)
from conveyor_contracts.carriers import requests as carrier_requests
from conveyor_contracts.carriers import tracking as carrier_tracking

# Re-exported (``X as X``): services import group ids and the spec type from here.
from conveyor_contracts.groups import GROUP_INVENTORY as GROUP_INVENTORY
from conveyor_contracts.groups import GROUP_ORDERS as GROUP_ORDERS
from conveyor_contracts.groups import GROUP_SHIPPING as GROUP_SHIPPING
from conveyor_contracts.groups import GROUP_SUPPORT as GROUP_SUPPORT
from conveyor_contracts.groups import SERVICE_GROUPS as SERVICE_GROUPS
from conveyor_contracts.privacy import PERSONAL_DEAD_LETTER_RETENTION_HOURS
from conveyor_contracts.spec import TopicSpec as TopicSpec

# Topics whose messages hold personal data keep their dead letters for less than the default:
# see ``conveyor_contracts.privacy`` for the bound and why.
_PERSONAL = PERSONAL_DEAD_LETTER_RETENTION_HOURS

# Entry point of every order, bursty in live-stream flash sales: 12 partitions let orders run
# up to 12 consumers to drain a burst.
CHECKOUT_ORDERS = TopicSpec[checkout.CheckoutEvent](
    name="checkout.orders.v1",
    key="order_id",
    partitions=12,
    producer="checkout",
    consumers=("orders", "support"),
    message=checkout.CheckoutEvent,
    adapter=checkout.CHECKOUT_EVENTS,
    description="Orders placed and cancellations requested by the shop checkout.",
    dead_letter_retention_hours=_PERSONAL,
)
# A buyer's erasure request, one message per order of the buyer. Rare, and kept apart from the
# order stream so that shipping need not read every placed order to find them: 3 partitions.
# The messages name no person, so the topic keeps the default retention.
CHECKOUT_ERASURES = TopicSpec[erasure.ErasureEvent](
    name="checkout.erasures.v1",
    key="order_id",
    partitions=3,
    producer="checkout",
    consumers=("shipping", "support"),
    message=erasure.ErasureEvent,
    adapter=erasure.ERASURE_EVENTS,
    description="Buyers' requests to erase their personal data, one message per order.",
)
# Internal order-keyed streams: one message or a few per order and stage; 6 partitions serve
# up to 6 replicas per service, plenty past one machine.
ORDER_LIFECYCLE = TopicSpec[orders.OrderLifecycleEvent](
    name="orders.lifecycle.v1",
    key="order_id",
    partitions=6,
    producer="orders",
    consumers=("inventory", "shipping", "support"),
    message=orders.OrderLifecycleEvent,
    adapter=orders.ORDER_LIFECYCLE_EVENTS,
    description="Orders accepted, rejected and cancelled.",
    dead_letter_retention_hours=_PERSONAL,
)
ORDER_STATUS = TopicSpec[orders.OrderStatusEvent](
    name="orders.status.v1",
    key="order_id",
    partitions=6,
    producer="orders",
    consumers=("checkout",),
    message=orders.OrderStatusEvent,
    adapter=orders.ORDER_STATUS_EVENTS,
    description="Order status as the shop shows it to buyers, with tracking numbers.",
)
INVENTORY_RESERVATIONS = TopicSpec[inventory.ReservationEvent](
    name="inventory.reservations.v1",
    key="order_id",
    partitions=6,
    producer="inventory",
    consumers=("orders", "shipping", "support"),
    message=inventory.ReservationEvent,
    adapter=inventory.RESERVATION_EVENTS,
    description="Stock reserved per warehouse, backordered, short, released, committed, restocked.",
)
# Keyed by SKU so one SKU's levels stay in order; a flash sale moves many SKUs at once, and 12
# partitions spread them (a single hot SKU is one partition whatever the count).
INVENTORY_STOCK = TopicSpec[stock.StockEvent](
    name="inventory.stock.v1",
    key="sku",
    partitions=12,
    producer="inventory",
    consumers=("checkout",),
    message=stock.StockEvent,
    adapter=stock.STOCK_EVENTS,
    description="Absolute stock levels per SKU and warehouse, and low-stock alerts.",
)
# Sellers' inbound shipments: a few per seller and week; 3 partitions. Keyed by ASN so one
# shipment's announcement, discrepancies and reconciliation stay in order. The warehouse reads
# what to expect here; support opens the seller's case on a discrepancy.
INVENTORY_INBOUND = TopicSpec[inbound.InboundEvent](
    name="inventory.inbound.v1",
    key="asn_id",
    partitions=3,
    producer="inventory",
    consumers=("warehouse", "support"),
    message=inbound.InboundEvent,
    adapter=inbound.INBOUND_EVENTS,
    description="Sellers' inbound shipments announced, their discrepancies and reconciliation.",
)
# Supplier receipts and counts: a few per SKU a day; 6 partitions are ample.
WAREHOUSE_RECEIPTS = TopicSpec[warehouse.ReceiptEvent](
    name="warehouse.receipts.v1",
    key="sku",
    partitions=6,
    producer="warehouse",
    consumers=("inventory",),
    message=warehouse.ReceiptEvent,
    adapter=warehouse.RECEIPT_EVENTS,
    description="Goods received and stock counted, reported by the warehouses.",
)
# Returns are a small fraction of orders: 3 partitions.
WAREHOUSE_RETURNS = TopicSpec[warehouse.ReturnEvent](
    name="warehouse.returns.v1",
    key="order_id",
    partitions=3,
    producer="warehouse",
    consumers=("inventory", "support"),
    message=warehouse.ReturnEvent,
    adapter=warehouse.RETURN_EVENTS,
    description="Returned parcels received at a warehouse, and their inspection.",
)
SHIPPING_SHIPMENTS = TopicSpec[shipping.ShipmentEvent](
    name="shipping.shipments.v1",
    key="order_id",
    partitions=6,
    producer="shipping",
    # The warehouse's returns dock learns here which parcel carries which return, and when it
    # arrives back (ReturnPickupBooked, a return-direction ShipmentDelivered).
    consumers=("orders", "inventory", "support", "warehouse"),
    message=shipping.ShipmentEvent,
    adapter=shipping.SHIPMENT_EVENTS,
    description="Shipment lifecycle: booking, re-booking, pickup, progress, delivery, exceptions.",
)
SUPPORT_CASES = TopicSpec[support.SupportCaseEvent](
    name="support.cases.v1",
    key="order_id",
    partitions=6,
    producer="support",
    # The warehouse's returns dock learns here what may come back (ReturnAuthorised's lines);
    # support reads its own cases back into the order's timeline.
    consumers=("orders", "inventory", "shipping", "support", "warehouse"),
    message=support.SupportCaseEvent,
    adapter=support.SUPPORT_CASE_EVENTS,
    description="Support cases, cancellation requests, return authorisations, reshipments.",
    dead_letter_retention_hours=_PERSONAL,
)
# A separate topic so the shop's payments owner reads refunds and nothing else (ACL).
SUPPORT_REFUNDS = TopicSpec[support.RefundEvent](
    name="support.refunds.v1",
    key="order_id",
    partitions=3,
    producer="support",
    consumers=("payments", "orders", "support"),  # support: the order's timeline
    message=support.RefundEvent,
    adapter=support.REFUND_EVENTS,
    description="Refunds support asks the shop's payments owner to make.",
)

# The subcontracted carriers onboarded today. Each gets its own pair of topics so Kafka ACLs can
# keep it from reading any other carrier's requests. Which markets and service levels each one
# serves is shipping's configuration, not the contract.
CARRIER_CODES: tuple[str, ...] = (
    "swiftpost",  # US, nationwide ground and express
    "libertyparcel",  # US, East Coast same-region
    "maplefreight",  # CA, national
    "borealexpress",  # CA, Ontario and Quebec express
    "thamesparcel",  # GB, national
    "highlandcourier",  # GB, Scotland and the North
)


def _carrier_specs(code: str) -> tuple[TopicSpec[Any], TopicSpec[Any]]:
    actor = f"carrier:{code}"
    # One carrier carries a share of all parcels, and shipping reads every carrier's tracking
    # topic in one group: 3 partitions each is enough and keeps the total partition count sane.
    requests = TopicSpec[carrier_requests.CarrierRequest](
        name=f"carrier.{code}.requests.v1",
        key="order_id",
        partitions=3,
        producer="shipping",
        consumers=(actor,),
        message=carrier_requests.CarrierRequest,
        adapter=carrier_requests.CARRIER_REQUESTS,
        description=f"Bookings, cancellations and recalls for carrier {code}.",
        dead_letter_retention_hours=_PERSONAL,
    )
    tracking = TopicSpec[carrier_tracking.CarrierTrackingEvent](
        name=f"carrier.{code}.tracking.v1",
        key="order_id",
        partitions=3,
        producer=actor,
        consumers=("shipping",),
        message=carrier_tracking.CarrierTrackingEvent,
        adapter=carrier_tracking.CARRIER_TRACKING_EVENTS,
        description=f"Acceptances, declines and tracking scans reported by carrier {code}.",
        dead_letter_retention_hours=_PERSONAL,
    )
    return requests, tracking


_CARRIER_TOPICS = {code: _carrier_specs(code) for code in CARRIER_CODES}


def carrier_requests_topic(code: str) -> TopicSpec[carrier_requests.CarrierRequest]:
    """The topic shipping sends one carrier's commands on.

    Args:
        code: An onboarded carrier code from ``CARRIER_CODES``.

    Raises:
        KeyError: The carrier is not onboarded.
    """
    return _CARRIER_TOPICS[code][0]


def carrier_tracking_topic(code: str) -> TopicSpec[carrier_tracking.CarrierTrackingEvent]:
    """The topic one carrier reports acceptances and scans on.

    Args:
        code: An onboarded carrier code from ``CARRIER_CODES``.

    Raises:
        KeyError: The carrier is not onboarded.
    """
    return _CARRIER_TOPICS[code][1]


# Every topic of the mesh; the stack creates each with its dead-letter companion from this.
TOPICS: tuple[TopicSpec[Any], ...] = (
    CHECKOUT_ORDERS,
    CHECKOUT_ERASURES,
    ORDER_LIFECYCLE,
    ORDER_STATUS,
    INVENTORY_RESERVATIONS,
    INVENTORY_STOCK,
    INVENTORY_INBOUND,
    WAREHOUSE_RECEIPTS,
    WAREHOUSE_RETURNS,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    SUPPORT_REFUNDS,
    *(spec for pair in _CARRIER_TOPICS.values() for spec in pair),
)
TOPICS_BY_NAME: Mapping[str, TopicSpec[Any]] = MappingProxyType(
    {spec.name: spec for spec in TOPICS}
)
