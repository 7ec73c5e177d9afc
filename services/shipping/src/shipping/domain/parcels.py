"""Packing a shipment's lines into boxes a carrier prices and insures."""

import math

from conveyor_contracts.carriers.requests import Parcel
from conveyor_contracts.values import Money
from shipping.domain.shipment import Line

BOX_LIMIT_GRAMS = 20_000  # what one person lifts at the dock
MAX_BOXES = 20  # the booking contract's limit


def pack(
    lines: tuple[Line, ...], unit_prices: dict[str, int], currency: str, unit_grams: int
) -> tuple[Parcel, ...]:
    """As few boxes of at most 20 kg as hold the lines, weight and value shared evenly."""
    grams = sum(line.quantity for line in lines) * unit_grams
    value = sum(line.quantity * unit_prices.get(line.sku, 0) for line in lines)
    boxes = min(MAX_BOXES, max(1, math.ceil(grams / BOX_LIMIT_GRAMS)))
    return tuple(
        Parcel(
            weight_grams=min(70_000, max(1, grams // boxes)),
            declared_value=Money.model_validate(
                {"amount_minor": value // boxes, "currency": currency}
            ),
        )
        for _ in range(boxes)
    )
