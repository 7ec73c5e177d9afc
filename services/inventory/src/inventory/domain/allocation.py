"""Allocation: which warehouses fill an order, decided from a snapshot of available stock.

Pure on purpose: the snapshot may be stale by the time stock is reserved, so the reservation
itself is a conditional update that can still fail; the caller then releases and retries or
reports a shortage. This function only has to be right for the numbers it is given.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from inventory.domain.warehouses import Warehouse, serving

Lines = Mapping[str, int]  # sku -> units ordered
Available = Mapping[tuple[str, str], int]  # (warehouse_id, sku) -> units available
Sellers = tuple[tuple[str, str], ...]  # (sku, seller id) of the lines whose seller is known


@dataclass(frozen=True)
class Allocation:
    """What one warehouse ships: it becomes exactly one shipment."""

    warehouse_id: str
    lines: tuple[tuple[str, int], ...]  # (sku, units), sorted by sku
    sellers: Sellers = ()  # whose goods the lines are, where known; none on older documents

    def seller_of(self, sku: str) -> str | None:
        return dict(self.sellers).get(sku)


@dataclass(frozen=True)
class Allocated:
    allocations: tuple[Allocation, ...]


@dataclass(frozen=True)
class Short:
    """Lines the market cannot cover: (sku, requested, available in the market)."""

    short_lines: tuple[tuple[str, int, int], ...]


def allocate(
    lines: Lines, market: str, warehouses: tuple[Warehouse, ...], available: Available
) -> Allocated | Short:
    """One warehouse that can fill every line if any (by priority), else a split in the market."""
    candidates = serving(market, warehouses)

    def has(warehouse_id: str, sku: str) -> int:
        return max(0, available.get((warehouse_id, sku), 0))

    short = tuple(
        (sku, qty, total)
        for sku, qty in sorted(lines.items())
        if (total := sum(has(w.warehouse_id, sku) for w in candidates)) < qty
    )
    if short:
        return Short(short)
    for warehouse in candidates:
        if all(has(warehouse.warehouse_id, sku) >= qty for sku, qty in lines.items()):
            return Allocated((Allocation(warehouse.warehouse_id, tuple(sorted(lines.items()))),))
    return Allocated(_split(lines, candidates, has))


def _split(
    lines: Lines, candidates: tuple[Warehouse, ...], has: Callable[[str, str], int]
) -> tuple[Allocation, ...]:
    # Greedy by priority: each line drains the preferred warehouses first, which keeps the
    # number of parcels low in the common case without a search over every combination.
    taken: dict[str, dict[str, int]] = {}
    for sku, qty in sorted(lines.items()):
        remaining = qty
        for warehouse in candidates:
            take = min(remaining, has(warehouse.warehouse_id, sku))
            if take:
                taken.setdefault(warehouse.warehouse_id, {})[sku] = take
                remaining -= take
            if not remaining:
                break
    return tuple(
        Allocation(w.warehouse_id, tuple(sorted(taken[w.warehouse_id].items())))
        for w in candidates
        if w.warehouse_id in taken
    )


def with_sellers(
    allocations: tuple[Allocation, ...],
    ordered: Mapping[str, str],
    stocked: Mapping[tuple[str, str], str],
) -> tuple[Allocation, ...]:
    """Each allocated line with whose goods it holds: the seller the stock document of (warehouse,
    SKU) records, since the units held are that stock's; else the one the order line named (stock
    received before sellers were told); no seller when neither says."""
    return tuple(
        replace(
            allocation,
            sellers=tuple(
                (sku, seller)
                for sku, _ in allocation.lines
                if (seller := stocked.get((allocation.warehouse_id, sku)) or ordered.get(sku))
            ),
        )
        for allocation in allocations
    )
