"""Inbound shipments in a dict: the repository for fast tests, same contract as the Mongo one.

Each write's events go to the ASN's outbox in a ``MemoryOutboxStore``, published by a relay
when given one (the component tests' app); ``deadlines`` (a timer poller's ``stored``) is told
each ASN's ``due_at``, as the Mongo documents tell it.
"""

from collections.abc import Hashable, Mapping, Sequence

from conveyor_runtime.documents import Stored
from conveyor_runtime.memory import MemoryOutboxStore
from conveyor_runtime.outbox import OutboxMessage, OutboxRelay
from conveyor_runtime.outlet import Cause, Outlet
from conveyor_runtime.timers import DUE_FIELD
from inventory.adapters.mongo_inbound import correlation_of
from inventory.adapters.wire import inventory_outlet
from inventory.domain.events import InboundEvent, InventoryEvent
from inventory.domain.inbound import Asn
from inventory.ports import AsnChange


class MemoryInbound:
    def __init__(
        self,
        store: MemoryOutboxStore | None = None,
        relay: OutboxRelay | None = None,
        deadlines: Stored | None = None,
        outlet: Outlet[InventoryEvent] | None = None,
    ) -> None:
        self.shipments: dict[str, Asn] = {}
        self.outlet = outlet or inventory_outlet()
        self.store = store if store is not None else MemoryOutboxStore()
        self.relay = relay
        self.deadlines = deadlines

    @property
    def outboxes(self) -> Mapping[Hashable, list[OutboxMessage]]:
        """Per ASN, its events not published yet (all of them, without a relay)."""
        return self.store.outboxes

    async def add(self, asn: Asn, events: Sequence[InboundEvent], cause: Cause) -> bool:
        if asn.asn_id in self.shipments:
            return False
        self.shipments[asn.asn_id] = asn
        self._written(asn, self.outlet.messages(cause, events, asn.correlation_id))
        return True

    async def update(self, asn_id: str, change: AsnChange, cause: Cause) -> Asn | None:
        if asn_id not in self.shipments:
            return None
        wired = self.outlet.change(cause, change, correlation_of=correlation_of)
        self.shipments[asn_id], events = wired(self.shipments[asn_id])
        self._written(self.shipments[asn_id], events)
        return self.shipments[asn_id]

    def _written(self, asn: Asn, events: Sequence[OutboxMessage]) -> None:
        # Stored and announced with no await between: the relay cannot flush in the middle.
        self.store.append(asn.asn_id, events)
        if events and self.relay is not None:
            self.relay.notify(asn.asn_id)
        if self.deadlines is not None:
            self.deadlines(asn.asn_id, {DUE_FIELD: asn.due_at}, None)

    async def get(self, asn_id: str) -> Asn | None:
        return self.shipments.get(asn_id)

    async def of_seller(self, seller_id: str) -> list[Asn]:
        found = [asn for asn in self.shipments.values() if asn.seller_id == seller_id]
        return sorted(found, key=lambda asn: (asn.announced_at, asn.asn_id))
