"""Business checks of a placed order: every reason it cannot be fulfilled, not only the first.

The schema already guarantees shape (1 to 100 lines, quantities 1 to 999, one currency per market);
these are the rules the shop must hear about as ``OrderRejected`` rather than a dead letter.
"""

import re
from collections import Counter
from dataclasses import dataclass

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.orders import RejectionCode

# Postal code formats per country, after upper-casing and trimming.
_POSTAL_CODE = {
    "US": re.compile(r"^\d{5}(-\d{4})?$"),
    "CA": re.compile(r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$"),
    "GB": re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[A-Z]{2}$"),
}


@dataclass(frozen=True)
class Problem:
    code: RejectionCode
    detail: str


def problems_of(order: OrderPlaced) -> list[Problem]:
    """Everything wrong with ``order``; empty when it can be fulfilled.

    Details name SKUs and amounts, never the buyer or the address: they travel in events and logs.
    """
    found: list[Problem] = []
    lines_total = sum(line.unit_price.amount_minor * line.quantity for line in order.lines)
    expected = lines_total + order.shipping_fee.amount_minor
    if order.order_total.amount_minor != expected:
        found.append(
            Problem(
                "total_mismatch",
                f"order_total {order.order_total.amount_minor} != lines {lines_total}"
                f" + shipping {order.shipping_fee.amount_minor}",
            )
        )
    repeated = sorted(
        sku for sku, count in Counter(line.sku for line in order.lines).items() if count > 1
    )
    if repeated:
        found.append(
            Problem("duplicate_line", f"SKUs on more than one line: {', '.join(repeated)}")
        )
    if order.ship_to.country != order.market:
        found.append(
            Problem(
                "destination_not_served", f"{order.market} orders ship within {order.market} only"
            )
        )
    postal_code = order.ship_to.postal_code.strip().upper()
    if not _POSTAL_CODE[order.ship_to.country].match(postal_code):
        found.append(
            Problem("invalid_postal_code", f"not a valid {order.ship_to.country} postal code")
        )
    return found
