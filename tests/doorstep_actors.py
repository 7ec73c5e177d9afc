"""The mesh as an end-to-end test drives it: the outside actors' moves (the warehouse's receipts,
the checkout's orders and cancellations, each carrier's answers and scans, all scripted by the
test), and what the services answer over HTTP and published on the watched topics."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from conveyor_contracts.carriers.requests import BookShipment
from conveyor_contracts.carriers.tracking import (
    ShipmentAccepted,
    ShipmentDeclined,
    TrackingScanRecorded,
)
from conveyor_contracts.checkout import OrderCancellationRequested, OrderPlaced
from conveyor_contracts.topics import (
    CHECKOUT_ORDERS,
    TOPICS_BY_NAME,
    WAREHOUSE_RECEIPTS,
    carrier_requests_topic,
    carrier_tracking_topic,
)
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import from_example, wait_for

NEW_YORK = {
    "address_lines": ["350 Fifth Avenue"],
    "city": "New York",
    "region": "NY",
    "postal_code": "10118",
    "country": "US",
}
BUYER_ID = "byr_7KQ2M9"  # the buyer of the contracts' OrderPlaced example


@dataclass
class Mesh:
    apps: dict[str, FastAPI]
    client: KafkaBroker
    prefix: str
    tokens: Issuer  # the services verify its tokens (keys made for this mesh)
    seen: dict[str, list[Any]] = field(default_factory=dict)  # topic name -> events, in order
    # On an authenticated broker, a client per outside actor (checkout, warehouse, carriers):
    # each topic is written as its registry producer, so the ACLs are exercised too.
    publishers: dict[str, KafkaBroker] = field(default_factory=dict)

    async def publish(self, topic: str, message: BaseModel, key: str) -> None:
        client = self.publishers.get(TOPICS_BY_NAME[topic].producer, self.client)
        await client.publish(
            message.model_dump_json().encode(), topic=self.prefix + topic, key=key.encode()
        )

    # The warehouse and the checkout.

    async def receive_goods(
        self, sku: str, warehouse_id: str, quantity: int, seller_id: str | None = None
    ) -> None:
        """Units of ``sku`` put away, the goods of ``seller_id`` (by default the example's)."""
        receipt = from_example(
            GoodsReceived,
            sku=sku,
            warehouse_id=warehouse_id,
            quantity=quantity,
            asn_id=None,  # put away without an inbound shipment notice
            **({"seller_id": seller_id} if seller_id else {}),
            receipt_ref=f"GRN-{uuid.uuid4().hex[:12].upper()}",
        )
        await self.publish(WAREHOUSE_RECEIPTS.name, receipt, sku)

        async def stocked() -> bool:
            levels = await self.get("inventory", f"/stock/{sku}")
            return levels is not None and any(
                w["warehouse_id"] == warehouse_id and w["on_hand"] >= quantity
                for w in levels["warehouses"]
            )  # at least this receipt's units (earlier ones may be there too)

        await wait_for(stocked, within=60, interval=0.3)

    async def place(
        self,
        lines: Sequence[tuple[str, int]],
        ship_to: dict[str, Any] | None = None,
        recipient: dict[str, Any] | None = None,
        seller_id: str | None = None,
    ) -> OrderPlaced:
        """An order of ``lines`` (SKU, units), each the goods of ``seller_id`` when given."""
        order_id = f"ord_{uuid.uuid4().hex[:12]}"
        seller = {"seller_id": seller_id} if seller_id else {}
        placed = from_example(
            OrderPlaced,
            order_id=order_id,
            correlation_id=order_id,
            ship_to=ship_to or NEW_YORK,
            **({"recipient": recipient} if recipient else {}),
            lines=[
                {
                    "sku": sku,
                    "quantity": qty,
                    "unit_price": {"amount_minor": 1000, "currency": "USD"},
                    **seller,
                }
                for sku, qty in lines
            ],
            order_total={
                "amount_minor": 499 + 1000 * sum(qty for _, qty in lines),
                "currency": "USD",
            },
        )
        await self.publish(CHECKOUT_ORDERS.name, placed, order_id)
        return placed

    async def cancel(self, order_id: str) -> None:
        request = from_example(
            OrderCancellationRequested, order_id=order_id, correlation_id=order_id
        )
        await self.publish(CHECKOUT_ORDERS.name, request, order_id)

    # The carriers.

    async def request(
        self, code: str, order_id: str, event_type: str = "BookShipment", within: float = 60
    ) -> Any:
        """The latest ``event_type`` command carrier ``code`` received for the order."""
        return await self.until_event(
            carrier_requests_topic(code).name, order_id, event_type, within
        )

    async def accept(self, code: str, booking: BookShipment) -> str:
        number = f"{code[:2].upper()}{uuid.uuid4().int % 10**10:010d}"
        accepted = from_example(
            ShipmentAccepted,
            order_id=booking.order_id,
            correlation_id=booking.correlation_id,
            shipment_id=booking.shipment_id,
            tracking_number=number,
        )
        await self.report(code, accepted)
        return number

    async def decline(self, code: str, booking: BookShipment) -> None:
        declined = from_example(
            ShipmentDeclined,
            order_id=booking.order_id,
            correlation_id=booking.correlation_id,
            shipment_id=booking.shipment_id,
        )
        await self.report(code, declined)

    def scan(self, booking: BookShipment, status: str, at: datetime) -> TrackingScanRecorded:
        return from_example(
            TrackingScanRecorded,
            order_id=booking.order_id,
            correlation_id=booking.correlation_id,
            shipment_id=booking.shipment_id,
            status=status,
            scanned_at=at.isoformat(),
            remark=None,
        )

    async def report(self, code: str, event: BaseModel) -> None:
        await self.publish(carrier_tracking_topic(code).name, event, event.order_id)  # type: ignore[attr-defined]

    # Reading the services.

    @property
    def agent_token(self) -> str:
        return self.tokens.mint("agent", "agent-ada")

    @property
    def buyer_token(self) -> str:
        return self.tokens.mint("buyer", BUYER_ID)

    async def get(self, service: str, path: str, token: str | None = None) -> Any:
        """``path`` read as ``token``'s bearer; by default as an operator, who reads orders,
        inventory and shipping (support serves agents and buyers only)."""
        token = token or self.tokens.mint("operator", "operator-test")
        response = await self.call(service, "GET", path, token=token)
        return response.json() if response.status_code == 200 else None

    async def call(
        self, service: str, method: str, path: str, token: str | None = None, **body: Any
    ) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.apps[service])
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as http:
            return await http.request(method, path, headers=headers, json=body or None)

    async def order_status(self, order_id: str) -> str | None:
        order = await self.get("orders", f"/orders/{order_id}")
        return order["status"] if order else None

    async def until_status(self, order_id: str, status: str, within: float = 60) -> None:
        async def reached() -> bool:
            return await self.order_status(order_id) == status

        try:
            await wait_for(reached, within=within, interval=0.3)
        except AssertionError:
            now = await self.order_status(order_id)
            raise AssertionError(f"order {order_id} is {now!r}, not {status!r}") from None

    def events(self, spec_name: str, order_id: str, event_type: str | None = None) -> list[Any]:
        return [
            event
            for event in self.seen.get(spec_name, [])
            if event.order_id == order_id and event_type in (None, event.event_type)
        ]

    async def until_event(
        self, spec_name: str, order_id: str, event_type: str, within: float = 60
    ) -> Any:
        async def arrived() -> Any:
            found = self.events(spec_name, order_id, event_type)
            return found[-1] if found else None

        try:
            return await wait_for(arrived, within=within, interval=0.05)  # a list in memory
        except AssertionError:
            raise AssertionError(f"no {event_type} for {order_id} within {within} s") from None
