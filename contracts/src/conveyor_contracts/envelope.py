"""The envelope every message carries, and the aware-UTC datetime type all timestamps use."""

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from conveyor_contracts.values import WIRE_CONFIG, OrderId


def _to_utc(value: datetime) -> datetime:
    # Any offset is accepted on the way in; everything downstream compares in UTC.
    return value.astimezone(UTC)


UtcDatetime = Annotated[
    AwareDatetime,  # a naive datetime is rejected: its instant is unknowable
    AfterValidator(_to_utc),
    Field(
        description="Instant, with a UTC offset; normalised to UTC.",
        examples=["2026-03-14T18:05:09Z"],
    ),
]

ActorName = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9-]{1,31}(:[a-z0-9-]{1,32})?$",
        description="Service or outside actor that produced the message, e.g. 'carrier:swiftpost'.",
        examples=["orders"],
    ),
]


def event_type_field(name: str) -> Any:
    """Field for a subclass's ``event_type``: its own class name, as default and only value.

    Args:
        name: The event class name; also the discriminator value on the wire.

    Returns:
        A pydantic ``Field`` to assign to ``event_type: Literal[name]``.
    """
    return Field(
        default=name,
        description="Discriminator: the event's class name. Unknown values are dead-lettered.",
        examples=[name],
    )


class Envelope(BaseModel):
    """Metadata common to every event and command on every topic.

    Frozen, and ``extra="ignore"``: a consumer on v1 ignores fields a newer producer added (the
    only evolution v1 allows), instead of dead-lettering the message.
    """

    model_config = WIRE_CONFIG

    event_id: UUID = Field(
        description="Unique id of this message; consumers dedupe on it. Retries re-use it.",
        examples=["3f1c2a4e-9b7d-4c1e-8a55-0d6f2b9e7c10"],
    )
    event_type: str = Field(description="Discriminator: the event's class name.")
    occurred_at: UtcDatetime = Field(
        description="When the fact happened or the command was issued."
    )
    correlation_id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{2,127}$",
        examples=["ord_01J9Z3K8M4QH2V"],
        description="The order or flow this message belongs to (the order id for order flows, "
        "the SKU or receipt for stock flows); the same along the whole chain.",
    )
    causation_id: UUID | None = Field(
        default=None,
        description="event_id of the message that caused this one; absent on a flow's first.",
        examples=["9a0e8c77-52f1-4d3b-bb0e-1c2d3e4f5a6b"],
    )
    producer: ActorName


class OrderEnvelope(Envelope):
    """Base of every message on an order-keyed topic: the order id is the Kafka key."""

    order_id: OrderId
