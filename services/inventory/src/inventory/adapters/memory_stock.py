"""Stock in dicts: the store for fast tests, with the same contract as the Mongo one."""

from dataclasses import dataclass, field

from inventory.domain.stock import StockLevel


@dataclass
class _Doc:
    level: StockLevel = field(default_factory=StockLevel)
    holds: dict[str, int] = field(default_factory=dict)  # reservation key -> units held
    applied: set[str] = field(default_factory=set)  # receipt keys already counted


class MemoryStock:
    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], _Doc] = {}

    def _doc(self, warehouse_id: str, sku: str) -> _Doc:
        return self.docs.setdefault((warehouse_id, sku), _Doc())

    async def levels(self, sku: str) -> dict[str, StockLevel]:
        return {wh: doc.level for (wh, s), doc in self.docs.items() if s == sku}

    async def reserve(self, warehouse_id: str, sku: str, units: int, key: str) -> bool:
        doc = self._doc(warehouse_id, sku)
        if key in doc.holds:
            return True
        if doc.level.available < units:
            return False
        doc.level = doc.level.reserved_more(units)
        doc.holds[key] = units
        return True

    async def release(self, warehouse_id: str, sku: str, key: str) -> StockLevel | None:
        doc = self._doc(warehouse_id, sku)
        if key not in doc.holds:
            return None
        doc.level = doc.level.released(doc.holds.pop(key))
        return doc.level

    async def commit(self, warehouse_id: str, sku: str, key: str) -> StockLevel | None:
        doc = self._doc(warehouse_id, sku)
        if key not in doc.holds:
            return None
        doc.level = doc.level.committed(doc.holds.pop(key))
        return doc.level

    async def receive(self, warehouse_id: str, sku: str, units: int, key: str) -> StockLevel | None:
        doc = self._doc(warehouse_id, sku)
        if key in doc.applied:
            return None
        doc.applied.add(key)
        doc.level = doc.level.received(units)
        return doc.level

    async def count(self, warehouse_id: str, sku: str, on_hand: int, key: str) -> StockLevel | None:
        doc = self._doc(warehouse_id, sku)
        if key in doc.applied:
            return None
        doc.applied.add(key)
        doc.level = doc.level.counted(on_hand)
        return doc.level
