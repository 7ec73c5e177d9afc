"""The checkout's erasure request: one valid message per order of the buyer, one request id."""

from conveyor_contracts.privacy import holds_personal_data
from conveyor_contracts.topics import CHECKOUT_ERASURES
from conveyor_simulators.checkout import plan_erasure


def test_one_request_per_order_with_the_same_erasure_id_and_no_personal_data() -> None:
    orders = ("ord_0000000001", "ord_0000000002")
    requests = plan_erasure(orders, "era_01J9ZD4Q7T1K")
    assert [r.order_id for r in requests] == list(orders)
    assert {r.erasure_id for r in requests} == {"era_01J9ZD4Q7T1K"}
    for request in requests:
        assert CHECKOUT_ERASURES.adapter.validate_json(request.model_dump_json()) == request
        assert not holds_personal_data(request)
    # Asked again with the same request id: the same event ids, so the services see a retry.
    again = plan_erasure(orders, "era_01J9ZD4Q7T1K")
    assert [r.event_id for r in again] == [r.event_id for r in requests]
