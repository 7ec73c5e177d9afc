"""Stock in dicts: the store for fast tests, with the same contract as the Mongo one.

A move's events go to its (warehouse, sku) document's outbox in a ``MemoryOutboxStore``, which
a relay, when given one (the component tests' app), publishes and empties as it does Mongo's.
``outbox`` keeps every stock event in the order written, published or not, for unit tests.
"""

from collections.abc import Callable, Iterable

from conveyor_runtime.memory import MemoryOutboxStore
from conveyor_runtime.outbox import OutboxMessage, OutboxRelay
from conveyor_runtime.outlet import Outlet
from inventory.adapters.wire import inventory_outlet
from inventory.domain.events import InventoryEvent
from inventory.domain.stock import Shelf, StockLevel, StockRecord
from inventory.ports import StockEmit


class MemoryStock:
    def __init__(
        self,
        store: MemoryOutboxStore | None = None,
        relay: OutboxRelay | None = None,
        outlet: Outlet[InventoryEvent] | None = None,
    ) -> None:
        self.records: dict[tuple[str, str], StockRecord] = {}
        self.outbox: list[OutboxMessage] = []  # every stock event, in the order written
        self.store = store if store is not None else MemoryOutboxStore()
        self.relay = relay
        self.outlet = outlet or inventory_outlet()

    async def levels(self, sku: str) -> dict[str, StockLevel]:
        return {wh: record.level for (wh, s), record in self.records.items() if s == sku}

    async def levels_in(
        self, warehouse_ids: Iterable[str], skus: Iterable[str]
    ) -> dict[tuple[str, str], StockLevel]:
        shelves = await self.shelves_in(warehouse_ids, skus)
        return {key: shelf.level for key, shelf in shelves.items()}

    async def shelves(self, sku: str) -> dict[str, Shelf]:
        return {wh: _shelf(record) for (wh, s), record in self.records.items() if s == sku}

    async def shelves_in(
        self, warehouse_ids: Iterable[str], skus: Iterable[str]
    ) -> dict[tuple[str, str], Shelf]:
        wanted = {(wh, sku) for wh in warehouse_ids for sku in skus}
        return {key: _shelf(record) for key, record in self.records.items() if key in wanted}

    async def of_seller(self, seller_id: str) -> dict[tuple[str, str], Shelf]:
        return {
            key: _shelf(record)
            for key, record in self.records.items()
            if record.seller_id == seller_id
        }

    def _apply(
        self,
        warehouse_id: str,
        sku: str,
        move: Callable[[StockRecord], StockRecord],
        emit: StockEmit | None,
        *,
        create: bool = False,
    ) -> tuple[StockRecord, StockRecord] | None:
        key = (warehouse_id, sku)
        if key not in self.records:
            if not create:
                return None
            self.records[key] = StockRecord(warehouse_id, sku)
        before = self.records[key]
        after = move(before)
        self.records[key] = after
        change = after.moved_from(before)
        if change is not None and emit is not None:
            self._emitted(key, self.outlet.messages(emit.cause, emit.events(change)))
        return before, after

    def _emitted(self, key: tuple[str, str], events: list[OutboxMessage]) -> None:
        # Stored and announced with no await between: the relay cannot flush in the middle.
        self.outbox.extend(events)
        self.store.append(key, events)
        if events and self.relay is not None:
            self.relay.notify(key)  # it reads the outbox back, as after a sweep

    async def reserve(
        self, warehouse_id: str, sku: str, units: int, key: str, emit: StockEmit | None = None
    ) -> bool:
        result = self._apply(warehouse_id, sku, lambda r: r.reserve(units, key), emit)
        return result is not None and result[1].held(key) is not None

    async def release(
        self,
        warehouse_id: str,
        sku: str,
        key: str,
        emit: StockEmit | None = None,
        *,
        may_ship: bool = False,
    ) -> StockLevel | None:
        result = self._apply(warehouse_id, sku, lambda r: r.release(key, may_ship=may_ship), emit)
        return _changed(result)

    async def ship(
        self, warehouse_id: str, sku: str, units: int, key: str, emit: StockEmit | None = None
    ) -> StockLevel | None:
        result = self._apply(warehouse_id, sku, lambda r: r.ship(units, key), emit)
        return _changed(result)

    async def receive(
        self,
        warehouse_id: str,
        sku: str,
        units: int,
        key: str,
        emit: StockEmit | None = None,
        *,
        seller_id: str | None = None,
    ) -> StockLevel | None:
        def received(record: StockRecord) -> StockRecord:
            return record.receive(units, key, seller_id)

        result = self._apply(warehouse_id, sku, received, emit, create=True)
        return _changed(result)

    async def count(
        self, warehouse_id: str, sku: str, on_hand: int, key: str, emit: StockEmit | None = None
    ) -> StockLevel | None:
        result = self._apply(warehouse_id, sku, lambda r: r.count(on_hand, key), emit, create=True)
        return _changed(result)


def _changed(result: tuple[StockRecord, StockRecord] | None) -> StockLevel | None:
    if result is None or result[0].moves == result[1].moves:
        return None
    return result[1].level


def _shelf(record: StockRecord) -> Shelf:
    return Shelf(record.level, record.seller_id)
