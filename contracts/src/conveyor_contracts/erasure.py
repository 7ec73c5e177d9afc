"""Erasure of a buyer's personal data: the checkout's request and each service's confirmation.

A buyer asks the shop to erase their personal data (GDPR Art. 17, the UK GDPR, PIPEDA). The shop
knows the buyer's orders, so it publishes one ``PersonalDataErasureRequested`` per order on
``checkout.erasures.v1``, keyed by order id like every order stream, all with the same
``erasure_id``; the request itself names no person. Every service that keeps the order's
personal data erases it (names, addresses, phones, free text: every field the contracts mark
``x-personal-data``) and confirms with its own ``...PersonalDataErased`` event on its own topic,
once the data is gone: at once when nothing of the order is in flight, else as soon as its
parcels reach an end (a carrier still needs the address of a parcel on its way).
"""

from typing import Annotated, Literal, TypeAlias

from pydantic import Field, TypeAdapter

from conveyor_contracts.envelope import OrderEnvelope, event_type_field
from conveyor_contracts.values import _prefixed_id

EXAMPLE_PRODUCER = "checkout"  # the producer shown in this module's examples

ErasureId = Annotated[str, _prefixed_id("era", "Erasure request", "era_01J9ZD4Q7T1K")]


class PersonalDataErasureRequested(OrderEnvelope):
    """The buyer of this order asked for their personal data to be erased."""

    event_type: Literal["PersonalDataErasureRequested"] = event_type_field(
        "PersonalDataErasureRequested"
    )
    erasure_id: ErasureId


class PersonalDataErased(OrderEnvelope):
    """The producing service holds no more personal data of the order's buyer.

    Published once per request and service; a repeated request (a new event) is confirmed again,
    a redelivered one is not (consumers dedupe on the derived ``event_id``). A base: every event
    belongs to one stream, so each service has its own class (``ShippingPersonalDataErased``,
    ``SupportPersonalDataErased``).
    """

    erasure_id: ErasureId
    deferred: bool = Field(
        default=False,
        description="True when the order was in flight at the request and was erased at its "
        "end, False when erased at once.",
        examples=[False],
    )


# One kind of message, tagged like every topic's union so that kinds can be added within v1.
ErasureEvent: TypeAlias = Annotated[PersonalDataErasureRequested, Field(discriminator="event_type")]
ERASURE_EVENTS: TypeAdapter[ErasureEvent] = TypeAdapter(ErasureEvent)
