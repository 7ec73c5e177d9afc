"""The support app running in memory and the mesh around it, for the component tests.

The test plays the rest of the mesh on a broker of its own (``mesh``): it publishes what the
checkout, orders, inventory, shipping and the warehouses would, and receives what support
publishes and what it parks on dead-letter topics. Support reads its own two topics back into
its timelines, so what the mesh itself publishes there is marked and left out of what support
is said to have published. (A module of its own, uniquely named: test folders have no
``__init__.py``, so every service's ``conftest`` is a module called ``conftest``.)
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.shipping import ShipmentDelivered
from conveyor_contracts.topics import CHECKOUT_ORDERS, SHIPPING_SHIPMENTS
from conveyor_runtime.tokens import Issuer
from conveyor_testkit.component import ComponentHarness, new_order_id
from conveyor_testkit.component import order_event as event
from support.app import SupportDeps
from support.domain.timeline import Timeline
from support.settings import SupportSettings

# On support's cases topic for orders to read, but no support use case emits it (yet): a case
# of kind cancellation_request is settled by an agent, not turned into this event.
NEVER_EMITTED = frozenset({"CaseCancellationRequested"})


@dataclass(frozen=True)
class Callers:
    """Bearer headers of the roles support's integration tests use."""

    agent: dict[str, str]
    buyer: dict[str, str]  # the buyer of the test's order
    stranger: dict[str, str]  # another buyer
    operator: dict[str, str]  # a role support does not serve

    @classmethod
    def of(cls, issuer: Issuer, buyer_id: str) -> "Callers":
        return cls(
            agent=issuer.bearer("agent", "agt_1"),
            buyer=issuer.bearer("buyer", buyer_id),
            stranger=issuer.bearer("buyer", "byr_stranger01"),
            operator=issuer.bearer("operator", "opr_1"),
        )


@dataclass(kw_only=True)
class SupportComponent(ComponentHarness):
    """The running support app and the mesh around it (its input on support's own topics
    marked, so that it is not taken for what support published)."""

    service: ClassVar[str] = "support"
    marks_its_input: ClassVar[bool] = True
    settings: SupportSettings
    deps: SupportDeps

    async def settled(self) -> None:
        """Wait until the relay has published every event the cases' writes left in an outbox
        (and support has read its own back): after it, what a test has not received was never
        emitted."""
        await self.relayed(self.deps.relay)

    async def timeline_types(self, order_id: str) -> list[str]:
        """The event types on the order's timeline, in its causal order."""
        timeline: Timeline | None = await self.deps.timelines.get(order_id)
        return [entry.event_type for entry in timeline.entries] if timeline else []

    async def place(self, buyer_id: str = "byr_ada00001") -> OrderPlaced:
        """An order placed by the checkout (US, 2 x TEE-BLK-M at 1999), as support hears it."""
        order_id = new_order_id()
        placed = event(OrderPlaced, order_id, buyer_id=buyer_id)
        await self.publish(CHECKOUT_ORDERS, placed, key=order_id)
        return placed

    async def deliver(self, placed: OrderPlaced, *, days_ago: float = 2) -> None:
        """The order's parcel delivered to the buyer, inside every market's return window."""
        scanned = datetime.now(UTC) - timedelta(days=days_ago)
        delivered = event(
            ShipmentDelivered, placed.order_id, direction="outbound", scanned_at=scanned
        )
        await self.publish(SHIPPING_SHIPMENTS, delivered, key=placed.order_id)


# The registry's word on what support reads and writes: the component tier is driven by it.
CONSUMED = SupportComponent.consumed_topics()
# ...of which those keyed by order, which feed the orders' timelines (inbound is keyed by ASN).
ORDER_TOPICS = tuple(spec for spec in CONSUMED if spec.key == "order_id")
PRODUCED = SupportComponent.produced()
