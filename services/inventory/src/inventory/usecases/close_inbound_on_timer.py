"""An inbound shipment's grace ran out: each SKU still short is told, then its outcome, once.

Called by the inbound timer for an ASN whose ``due_at`` passed. The versioned update is the
claim: only an open ASN past its deadline is closed, ``due_at`` moving to None in the same write.
"""

from datetime import datetime

from conveyor_runtime.outlet import Cause
from inventory.domain.inbound import Asn, Outcome, close
from inventory.usecases.context import Inventory


async def close_inbound_on_timer(asn_id: str, now: datetime, inventory: Inventory) -> bool:
    """True if the reconciliation ended now."""
    if inventory.inbound is None:
        return False
    ended: list[bool] = []

    def closed(current: Asn) -> Outcome:
        after, events = close(current, now)
        ended.append(bool(events))
        return after, events

    # No message is the cause: the events carry ids of their own, in the ASN's correlation.
    await inventory.inbound.update(asn_id, closed, Cause(None, now))
    return bool(ended) and ended[-1]
