"""Erase the buyer's personal data of an order: on their request, at once, with a confirmation
(and the timeline forgets the buyer, see ``Timeline.with_entry``); or, by the timer, once the
retention has passed since the order was over for support, silently."""

from dataclasses import replace
from datetime import datetime

from conveyor_contracts.envelope import OrderEnvelope
from conveyor_contracts.erasure import PersonalDataErasureRequested
from conveyor_contracts.support import SupportPersonalDataErased
from conveyor_runtime.outbox import OutboxMessage, derived_event_id, outbox_message
from support.domain.cases import OrderCases
from support.domain.privacy import forget_at, forgotten
from support.usecases.context import Support, upsert_cases

REMEMBERED_REQUESTS = 20  # a buyer asks once, perhaps again; never this often for one order


async def forget_personal_data_on_erasure_request(event: OrderEnvelope, support: Support) -> None:
    if not isinstance(event, PersonalDataErasureRequested):
        return
    request_id = str(event.event_id)

    def change(cases: OrderCases) -> tuple[OrderCases, list[OutboxMessage]]:
        if request_id in cases.erasures:
            return cases, []  # a redelivery: confirmed already
        erasures = (*cases.erasures, request_id)[-REMEMBERED_REQUESTS:]
        confirmation = SupportPersonalDataErased(
            event_id=derived_event_id(event.event_id, "SupportPersonalDataErased"),
            occurred_at=support.clock(),
            correlation_id=cases.correlation_id,
            causation_id=event.event_id,
            producer="support",
            order_id=cases.order_id,
            erasure_id=event.erasure_id,
        )
        message = outbox_message(confirmation, topic=support.topics.cases, key=cases.order_id)
        return replace(forgotten(cases), erasures=erasures), [message]

    await upsert_cases(support, event.order_id, event.correlation_id, change)


def forget_if_due(cases: OrderCases, now: datetime, support: Support) -> OrderCases:
    due = forget_at(cases, support.retention)
    return forgotten(cases) if due is not None and due <= now else cases
