"""The warehouse's receiving is done for an inbound shipment: its reconciliation ends now.

The warehouse says it put away everything that came for the ASN, so what is still short will
not arrive: each such SKU is told, then the outcome, as when the grace runs out, and ``due_at``
moves to None in the same write (the timer has nothing left to fire). Once ended, by a receipt,
the timer or an earlier signal, the ASN is left as it ended.
"""

from conveyor_runtime.outlet import Cause
from inventory.domain.inbound import Asn, receiving_done
from inventory.usecases.context import Inventory


async def end_inbound_on_receiving_done(asn_id: str, inventory: Inventory) -> Asn | None:
    """The ASN as it ended (now or before); None when inventory does not know it."""
    if inventory.inbound is None:
        raise RuntimeError("inventory was built without inbound shipments")
    # A person's action, not a message: the events carry ids of their own (from the ASN and
    # their kind), in the ASN's correlation, the same ones the timer would have written.
    return await inventory.inbound.update(asn_id, receiving_done, Cause(None, inventory.clock()))
