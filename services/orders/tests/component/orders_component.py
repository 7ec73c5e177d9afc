"""The orders app running in memory and the mesh around it, for the component tests.

The test plays the rest of the mesh on a broker of its own (``mesh``): it publishes what the
checkout, inventory, shipping and support would, and receives what orders publishes and what
it parks on dead-letter topics. (A module of its own, uniquely named: test folders have no
``__init__.py``, so every service's ``conftest`` is a module called ``conftest``.)
"""

from dataclasses import dataclass
from typing import ClassVar

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.topics import CHECKOUT_ORDERS
from conveyor_testkit.component import ComponentHarness
from conveyor_testkit.component import new_order_id as new_order_id
from conveyor_testkit.component import order_event as event
from orders.app import OrdersDeps
from orders.settings import OrdersSettings


@dataclass(kw_only=True)
class OrdersComponent(ComponentHarness):
    """The running orders app and the mesh around it."""

    service: ClassVar[str] = "orders"
    settings: OrdersSettings
    deps: OrdersDeps

    async def settled(self) -> None:
        """Wait until the relay has published every event orders' writes left in an outbox:
        after it, what a test has not received was never emitted."""
        await self.relayed(self.deps.relay)

    async def place(self, order_id: str | None = None) -> OrderPlaced:
        """An order placed by the checkout and accepted by orders (both of its events taken)."""
        placed = event(OrderPlaced, order_id or new_order_id())
        await self.publish(CHECKOUT_ORDERS, placed, key=placed.order_id)
        for spec in self.produced():
            await self.next(spec)  # OrderAccepted, and the status "accepted" for the checkout
        return placed


# The registry's word on what orders reads and writes: the component tier is driven by it.
CONSUMED = OrdersComponent.consumed_topics()
PRODUCED = OrdersComponent.produced()
