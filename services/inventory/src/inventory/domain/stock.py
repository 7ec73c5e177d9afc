"""A SKU's stock in one warehouse and the moves on it; `on_hand >= reserved >= 0` always."""

from dataclasses import dataclass


class StockRuleError(ValueError):
    """A move would break `on_hand >= reserved >= 0`; the caller decides whether that is final."""


@dataclass(frozen=True)
class StockLevel:
    on_hand: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def received(self, units: int) -> "StockLevel":
        return _checked(StockLevel(self.on_hand + units, self.reserved))

    def counted(self, on_hand: int) -> "StockLevel":
        # A count below what is reserved keeps the reservations and shows nothing available;
        # clamping instead of refusing, because the shelf is the truth and the count must land.
        return _checked(StockLevel(max(on_hand, self.reserved), self.reserved))

    def reserved_more(self, units: int) -> "StockLevel":
        return _checked(StockLevel(self.on_hand, self.reserved + units))

    def released(self, units: int) -> "StockLevel":
        return _checked(StockLevel(self.on_hand, self.reserved - units))

    def committed(self, units: int) -> "StockLevel":
        """The carrier took the units: they leave the shelf and the reservation together."""
        return _checked(StockLevel(self.on_hand - units, self.reserved - units))

    def shipped_unheld(self, units: int) -> "StockLevel":
        """The carrier took units no longer held (their hold was given back before the pickup
        was known): they leave the shelf. As with a count, the shelf is the truth: if those units
        were reserved again meanwhile, the reservations stay and nothing shows available."""
        return _checked(StockLevel(max(self.on_hand - units, self.reserved), self.reserved))


def is_low(level: StockLevel, threshold: int) -> bool:
    return level.available <= threshold


def _checked(level: StockLevel) -> StockLevel:
    if not level.on_hand >= level.reserved >= 0:
        raise StockRuleError(f"on_hand {level.on_hand}, reserved {level.reserved}")
    return level


@dataclass(frozen=True)
class StockMove:
    """One applied change of a (warehouse, sku) level; ``sequence`` numbers the document's moves."""

    warehouse_id: str
    sku: str
    before: StockLevel
    after: StockLevel
    sequence: int


@dataclass(frozen=True)
class StockRecord:
    """A (warehouse, sku) level with what makes its moves idempotent: the holds by key and the
    receipt/count keys already applied. Every method returns the record after the move, or the
    record unchanged when the move was already applied (or, for ``reserve``, cannot be)."""

    warehouse_id: str
    sku: str
    level: StockLevel = StockLevel()
    holds: tuple[tuple[str, int], ...] = ()  # (key, units held), in the order taken
    applied: tuple[str, ...] = ()
    moves: int = 0

    def held(self, key: str) -> int | None:
        return dict(self.holds).get(key)

    def moved_from(self, before: "StockRecord") -> StockMove | None:
        """The level change from ``before`` to this record; None when the level did not change."""
        if self.moves == before.moves or self.level == before.level:
            return None
        return StockMove(self.warehouse_id, self.sku, before.level, self.level, self.moves)

    def reserve(self, units: int, key: str) -> "StockRecord":
        if self.held(key) is not None or self.level.available < units:
            return self
        return self._with(self.level.reserved_more(units), holds=(*self.holds, (key, units)))

    def release(self, key: str) -> "StockRecord":
        units = self.held(key)
        if units is None:
            return self
        return self._with(self.level.released(units), holds=self._without(key))

    def commit(self, key: str) -> "StockRecord":
        units = self.held(key)
        if units is None:
            return self
        return self._with(self.level.committed(units), holds=self._without(key))

    def ship_unheld(self, units: int, key: str) -> "StockRecord":
        if key in self.applied or self.held(key) is not None:
            return self  # once per key; a hold still there is shipped by ``commit``
        return self._with(self.level.shipped_unheld(units), applied=(*self.applied, key))

    def receive(self, units: int, key: str) -> "StockRecord":
        if key in self.applied:
            return self
        return self._with(self.level.received(units), applied=(*self.applied, key))

    def count(self, on_hand: int, key: str) -> "StockRecord":
        if key in self.applied:
            return self
        return self._with(self.level.counted(on_hand), applied=(*self.applied, key))

    def _without(self, key: str) -> tuple[tuple[str, int], ...]:
        return tuple(hold for hold in self.holds if hold[0] != key)

    def _with(
        self,
        level: StockLevel,
        *,
        holds: tuple[tuple[str, int], ...] | None = None,
        applied: tuple[str, ...] | None = None,
    ) -> "StockRecord":
        return StockRecord(
            self.warehouse_id,
            self.sku,
            level,
            self.holds if holds is None else holds,
            self.applied if applied is None else applied,
            self.moves + 1,
        )
