"""The timers: a backorder's deadline passed, so its expiry use case runs; an inbound
shipment's grace ran out, so its reconciliation ends."""

from collections.abc import Hashable
from datetime import datetime

from inventory.usecases.close_inbound_on_timer import close_inbound_on_timer
from inventory.usecases.context import Inventory
from inventory.usecases.expire_backorder_on_timer import expire_backorder_on_timer


class BackorderExpiry:
    """What the reservations' timer poller fires.

    The poller is made before the reservations' repository (whose writes tell it their
    deadlines), and so before the ``Inventory`` the use case needs: the composition root binds
    that once it is built, before the app starts and anything can fire.
    """

    def __init__(self) -> None:
        self.inventory: Inventory | None = None

    async def __call__(self, order_id: Hashable, now: datetime) -> None:
        if self.inventory is None:
            raise RuntimeError("a backorder deadline fired before the inventory was bound")
        await expire_backorder_on_timer(str(order_id), now, self.inventory)


class InboundClosing:
    """What the inbound shipments' timer poller fires: an ASN's grace ran out. Bound to the
    ``Inventory`` by the composition root, as ``BackorderExpiry`` is."""

    def __init__(self) -> None:
        self.inventory: Inventory | None = None

    async def __call__(self, asn_id: Hashable, now: datetime) -> None:
        if self.inventory is None:
            raise RuntimeError("an inbound deadline fired before the inventory was bound")
        await close_inbound_on_timer(str(asn_id), now, self.inventory)
