"""Erase the buyer's personal data of an order: on their request, at once, with a confirmation
(and the timeline forgets the buyer, see ``Timeline.with_entry``); or, by the timer, once the
retention has passed since the order was over for support, silently (``forgotten_if_due``)."""

from conveyor_contracts.envelope import OrderEnvelope
from conveyor_contracts.erasure import PersonalDataErasureRequested
from support.domain.cases import OrderCases
from support.domain.events import SupportEvent
from support.domain.privacy import erased_on_request
from support.usecases.context import Support, upsert_cases


async def forget_personal_data_on_erasure_request(event: OrderEnvelope, support: Support) -> None:
    if not isinstance(event, PersonalDataErasureRequested):
        return
    request_id, erasure_id = str(event.event_id), event.erasure_id
    cause = support.cause_of(event)

    def change(cases: OrderCases) -> tuple[OrderCases, list[SupportEvent]]:
        return erased_on_request(cases, request_id, erasure_id)

    await upsert_cases(support, event.order_id, event.correlation_id, change, cause)
