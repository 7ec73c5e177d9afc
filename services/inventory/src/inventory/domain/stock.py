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


def is_low(level: StockLevel, threshold: int) -> bool:
    return level.available <= threshold


def _checked(level: StockLevel) -> StockLevel:
    if not level.on_hand >= level.reserved >= 0:
        raise StockRuleError(f"on_hand {level.on_hand}, reserved {level.reserved}")
    return level
