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
    # Keys whose hold a cancellation gave back while their parcel may still leave with a
    # carrier (``release(may_ship=True)``), kept until it does: one per cancelled order whose
    # parcel never ships, a trail as long as the receipts' ``applied``.
    released: tuple[str, ...] = ()
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

    def release(self, key: str, *, may_ship: bool = False) -> "StockRecord":
        """Give back what ``key`` holds. ``may_ship`` when its parcel may be on a truck already
        (an order cancelled before its pickup was known): the key is then remembered, so that
        the parcel's dispatch still takes the units off the shelf (``ship``)."""
        units = self.held(key)
        if units is None:
            return self
        released = (*self.released, key) if may_ship else self.released
        return self._with(self.level.released(units), holds=self._without(key), released=released)

    def ship(self, units: int, key: str) -> "StockRecord":
        """The carrier took the ``units`` of ``key``: its hold leaves the shelf with them; or,
        when the hold was given back first (a cancellation racing the pickup), the units leave
        the shelf without one, once. Whether a hold was committed or given back is told by this
        document alone, never by a reservation read earlier: a dispatch and a cancellation are
        handled concurrently, and a redelivered dispatch must not take the units twice."""
        held = self.held(key)
        if held is not None:
            return self._with(self.level.committed(held), holds=self._without(key))
        if key not in self.released:
            return self  # shipped already, or never held here
        released = tuple(k for k in self.released if k != key)
        return self._with(self.level.shipped_unheld(units), released=released)

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
        released: tuple[str, ...] | None = None,
    ) -> "StockRecord":
        return StockRecord(
            self.warehouse_id,
            self.sku,
            level,
            self.holds if holds is None else holds,
            self.applied if applied is None else applied,
            self.released if released is None else released,
            self.moves + 1,
        )
