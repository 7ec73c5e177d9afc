"""One valid example of every message: its payload, its headers, and a dead letter's.

Payloads come from the models themselves (each model's JSON Schema ``examples``, assembled from
its fields' examples), so the AsyncAPI document, the JSON Schemas and the tests show the same
message; the contract tests validate each against its own model and topic.
"""

from typing import Any

from pydantic import BaseModel

from conveyor_contracts import headers
from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.groups import GROUP_ORDERS
from conveyor_contracts.topics import CHECKOUT_ORDERS

# A fixed, well-formed W3C traceparent (the specification's own example trace id).
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
# The dead letter's: same trace, the dead-letter publish span.
DEAD_LETTER_TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01"


def payload_example(model: type[BaseModel]) -> dict[str, Any]:
    """The whole-message example published in the model's JSON Schema."""
    examples: list[dict[str, Any]] = model.model_json_schema()["examples"]
    return dict(examples[0])


def headers_example(payload: dict[str, Any]) -> dict[str, str]:
    """The headers Conveyor's outbox relay sends with ``payload``."""
    return {
        headers.CONTENT_TYPE: "application/json",
        headers.EVENT_ID: str(payload["event_id"]),
        headers.EVENT_TYPE: str(payload["event_type"]),
        headers.TRACEPARENT: TRACEPARENT,
    }


# What the orders consumer writes when checkout.orders.v1 carries an OrderPlaced without lines
# (``conveyor_runtime.failures.reason_of``; a contract test checks it is the same text).
DEAD_LETTER_REASON = (
    "ValidationError: tagged-union[function-after[_amounts_in_order_currency(), "
    "function-after[_one_currency(), OrderPlaced]],OrderCancellationRequested]: "
    "OrderPlaced.lines: Field required"
)


def dead_letter_example() -> tuple[dict[str, str], dict[str, Any]]:
    """A dead letter as the orders service parks it: its headers and its value.

    The value is the checkout's example ``OrderPlaced`` without ``lines``, as a producer bug
    would send it, consumed from ``checkout.orders.v1`` partition 4 at offset 118.
    """
    payload = payload_example(OrderPlaced)
    broken = {name: value for name, value in payload.items() if name != "lines"}
    parked = headers_example(payload) | {
        headers.TRACEPARENT: DEAD_LETTER_TRACEPARENT,
        headers.DLQ_REASON: DEAD_LETTER_REASON,
        headers.DLQ_ORIGINAL_TOPIC: CHECKOUT_ORDERS.name,
        headers.DLQ_ORIGINAL_PARTITION: "4",
        headers.DLQ_ORIGINAL_OFFSET: "118",
        headers.DLQ_CONSUMER_GROUP: GROUP_ORDERS,
        headers.DLQ_FAILED_AT: "2026-03-14T18:05:10.250000+00:00",
    }
    return parked, broken
