"""Every event of an order-keyed topic becomes one timeline entry, once per event id."""

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.envelope import OrderEnvelope
from support.domain.timeline import Timeline, entry_of
from support.ports import TimelineRepository
from support.usecases.context import upsert_timeline


async def record_timeline_on_order_event(
    event: OrderEnvelope, topic: str, trace_id: str | None, timelines: TimelineRepository
) -> Timeline:
    """Add ``event`` (read from registry topic ``topic``) to its order's timeline.

    The buyer id of an ``OrderPlaced`` is kept on the timeline document (it decides who may
    read the order), never in an entry.
    """
    entry = entry_of(event, topic=topic, trace_id=trace_id)
    buyer_id = event.buyer_id if isinstance(event, OrderPlaced) else None

    def change(timeline: Timeline) -> Timeline:
        return timeline.with_entry(entry, buyer_id=buyer_id)

    return await upsert_timeline(timelines, event.order_id, event.correlation_id, change)
