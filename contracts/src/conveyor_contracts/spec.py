"""``TopicSpec``: what the registry says about one topic."""

from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, get_args

from pydantic import TypeAdapter

from conveyor_contracts.envelope import Envelope
from conveyor_contracts.privacy import personal_data_paths

E = TypeVar("E")


@dataclass(frozen=True)
class TopicSpec(Generic[E]):
    """One topic: its name, key, sizing, who writes and reads it, and the messages it carries.

    Attributes:
        name: Topic name, ending in the contract version (``.v1``).
        key: The message field used as the Kafka key; it keeps one order's (SKU's, ASN's) events in
            order on one partition.
        partitions: Partition count (also used for the dead-letter topic).
        producer: The only service or outside actor allowed to write (Kafka ACL).
        consumers: Services and outside actors allowed to read.
        message: The discriminated union (on ``event_type``) of everything the topic carries.
        adapter: ``TypeAdapter`` of ``message``: ``adapter.validate_json(raw_bytes)``.
        description: One sentence for the AsyncAPI document.
        replication_factor: Copies of each partition on a cluster (capped at its broker count
            when the topic is created, so a single local broker gets 1).
        min_insync_replicas: Copies that must have a message before an ``acks=all`` publish is
            confirmed: with 3 copies and 2 in sync, one broker can be lost without losing or
            refusing a confirmed event.
        retention_hours: How long Kafka keeps the topic's messages (a consumer down longer
            than this misses them).
        dead_letter_retention_hours: How long parked messages wait for an operator's replay.
            On a topic carrying personal data, both retentions are bounded by
            ``conveyor_contracts.privacy.PERSONAL_DATA_KAFKA_BOUND_HOURS`` (a test checks it).
    """

    name: str
    key: Literal["order_id", "sku", "asn_id"]
    partitions: int
    producer: str
    consumers: tuple[str, ...]
    message: Any
    adapter: TypeAdapter[E]
    description: str
    replication_factor: int = 3
    min_insync_replicas: int = 2
    retention_hours: int = 7 * 24
    dead_letter_retention_hours: int = 30 * 24

    @property
    def dead_letter(self) -> str:
        """The companion topic receiving messages this topic's consumers could not process."""
        return f"{self.name}.dlq"

    @property
    def events(self) -> tuple[type[Envelope], ...]:
        """The message classes of the union, in declaration order."""
        union = get_args(self.message)[0]  # Annotated[Union[...], discriminator] -> Union[...]
        members = get_args(union) or (union,)
        return tuple(member for member in members if issubclass(member, Envelope))

    @property
    def personal_data(self) -> bool:
        """Whether any message the topic carries has a field marked ``x-personal-data``."""
        return any(personal_data_paths(event) for event in self.events)
