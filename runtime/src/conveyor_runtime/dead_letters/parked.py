"""One parked message as read back from a dead-letter topic, and what may be shown of it.

The payload may hold personal data (names, addresses), so nothing here ever renders it: a
summary carries ids and the technical facts the consumer wrote into the ``x-dlq-*`` headers.
The consumer writes reasons without the message's content (``failures.reason_of``), but
messages parked by older versions carry Pydantic's full text, which quotes the offending input
(``input_value=...``), so that part of any reason is still blanked before anyone sees it.
"""

import re
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord

DLQ_HEADER_PREFIX = "x-dlq-"
# Added to a replayed message: ``<dead-letter topic>/<partition>/<offset>`` it came from. Not an
# ``x-dlq-`` header, so if the replayed message is parked again its new dead-letter entry still
# tells that it had been replayed once already.
REPLAYED_FROM_HEADER = "x-replayed-from"
# The outbox relay names each message's event type in this header (see ``outbox.py``).
EVENT_TYPE_HEADER = "event-type"

# Pydantic quotes the input in every error line: ``[type=missing, input_value={...}, input_type=
# dict]``. The value runs to ``, input_type=`` or, when the consumer cut the reason short, to the
# end of the text.
_QUOTED_INPUT = re.compile(r"input_value=.*?(?=, input_type=|$)", re.DOTALL)


def redacted_reason(reason: str) -> str:
    """The reason with every quoted input value replaced, on one line."""
    blanked = _QUOTED_INPUT.sub("input_value=<redacted>", reason)
    return " | ".join(line.strip() for line in blanked.splitlines() if line.strip())


@dataclass(frozen=True)
class ParkedMessage:
    """A message on a dead-letter topic: where it sits, the original bytes and the headers."""

    dead_letter_topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def from_record(cls, record: ConsumerRecord[bytes, bytes]) -> "ParkedMessage":
        return cls(
            dead_letter_topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value or b"",
            headers=tuple(record.headers),
        )

    def header(self, name: str) -> str:
        """A header's text, ``""`` when absent."""
        for header_name, value in self.headers:
            if header_name == name:
                return value.decode("utf-8", "replace")
        return ""

    @property
    def key_text(self) -> str:
        return self.key.decode("utf-8", "replace") if self.key is not None else ""

    @property
    def reason(self) -> str:
        return redacted_reason(self.header(DLQ_HEADER_PREFIX + "reason"))

    @property
    def original_topic(self) -> str:
        return self.header(DLQ_HEADER_PREFIX + "original-topic")

    @property
    def replayed_from(self) -> str:
        """Where this message's own replay took it from; here, on a re-drive."""
        return f"{self.dead_letter_topic}/{self.partition}/{self.offset}"

    def summary(self) -> dict[str, Any]:
        """What an operator may see: positions, key (an order id or SKU), type, reason, time."""
        return {
            "dead_letter": f"{self.partition}/{self.offset}",
            "original": (
                f"{self.original_topic}/{self.header(DLQ_HEADER_PREFIX + 'original-partition')}"
                f"/{self.header(DLQ_HEADER_PREFIX + 'original-offset')}"
            ),
            "key": self.key_text,
            "event_type": self.header(EVENT_TYPE_HEADER) or "-",
            "consumer_group": self.header(DLQ_HEADER_PREFIX + "consumer-group"),
            "failed_at": self.header(DLQ_HEADER_PREFIX + "failed-at"),
            "previously_replayed_from": self.header(REPLAYED_FROM_HEADER) or "-",
            "reason": self.reason,
        }

    def replay_headers(self) -> list[tuple[str, bytes]]:
        """The original headers (trace context included), without the dead-letter ones, plus
        where this replay came from."""
        kept = [
            (name, value)
            for name, value in self.headers
            if not name.startswith(DLQ_HEADER_PREFIX) and name != REPLAYED_FROM_HEADER
        ]
        return [*kept, (REPLAYED_FROM_HEADER, self.replayed_from.encode())]
