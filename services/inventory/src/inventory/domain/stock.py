"""A SKU's stock in one warehouse and the moves on it; `on_hand >= reserved >= 0` always.

The stock is a seller's: the first receipt naming a seller records whose goods the SKU is in that
warehouse, and a receipt naming another one is refused (``SellerConflictError``).
"""

from dataclasses import dataclass, replace


class StockRuleError(ValueError):
    """A move would break `on_hand >= reserved >= 0`; the caller decides whether that is final."""


class SellerConflictError(ValueError):
    """A receipt names another seller than the one the SKU's stock belongs to: it can never
    apply as it is (every SKU belongs to one seller)."""


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


@dataclass(frozen=True)
class Shelf:
    """A (warehouse, sku) level as read, and whose stock it is (None until a receipt said)."""

    level: StockLevel
    seller_id: str | None = None


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
    seller_id: str | None = None  # whose stock it is, once a receipt said so


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
    # Whose goods these are: set by the first receipt naming a seller, never changed after;
    # None until then (and on documents stored before sellers).
    seller_id: str | None = None

    def held(self, key: str) -> int | None:
        return dict(self.holds).get(key)

    def moved_from(self, before: "StockRecord") -> StockMove | None:
        """The level change from ``before`` to this record; None when the level did not change."""
        if self.moves == before.moves or self.level == before.level:
            return None
        return StockMove(
            self.warehouse_id, self.sku, before.level, self.level, self.moves, self.seller_id
        )

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

    def receive(self, units: int, key: str, seller_id: str | None = None) -> "StockRecord":
        """Add the units of receipt ``key`` once. A receipt naming its seller records it on stock
        that has none yet; SellerConflictError when the stock is another seller's (nothing
        moves). A receipt without a seller keeps the recorded one."""
        if key in self.applied:
            return self
        if seller_id is not None and self.seller_id not in (None, seller_id):
            raise SellerConflictError(
                f"{self.sku} in {self.warehouse_id} belongs to {self.seller_id}, not to {seller_id}"
            )
        after = self._with(self.level.received(units), applied=(*self.applied, key))
        return after if seller_id is None else replace(after, seller_id=seller_id)

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
            self.seller_id,
        )
