"""Shipping's confirmation of an erasure request, on ``shipping.shipments.v1``."""

from typing import Literal

from conveyor_contracts.envelope import event_type_field
from conveyor_contracts.erasure import PersonalDataErased

EXAMPLE_PRODUCER = "shipping"  # the producer shown in this module's examples


class ShippingPersonalDataErased(PersonalDataErased):
    """Shipping erased the order's delivery and collection addresses and contacts."""

    event_type: Literal["ShippingPersonalDataErased"] = event_type_field(
        "ShippingPersonalDataErased"
    )
