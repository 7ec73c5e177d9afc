"""What the replay tool remembers per dead-letter partition, and what it shows of a message."""

from hypothesis import given
from hypothesis import strategies as st

from conveyor_runtime.dead_letters.parked import ParkedMessage, redacted_reason
from conveyor_runtime.dead_letters.progress import METADATA_BUDGET, Progress


def test_replaying_in_a_row_moves_the_position_and_keeps_no_metadata() -> None:
    progress = Progress(0).with_replayed(0).with_replayed(1).with_replayed(2)
    assert progress == Progress(3)
    assert progress.metadata() == ""


def test_a_message_left_parked_holds_the_position_and_later_replays_go_to_the_metadata() -> None:
    progress = Progress(5).with_replayed(7).with_replayed(9).with_replayed(10).with_replayed(11)
    assert progress.position == 5
    assert progress.metadata() == "replayed=7,9-11"
    assert not progress.is_replayed(5)
    assert not progress.is_replayed(8)
    assert progress.is_replayed(10)
    assert progress.is_replayed(4)


def test_replaying_the_parked_message_closes_the_gap_up_to_the_next_parked_one() -> None:
    progress = Progress(5, frozenset({6, 7, 9})).with_replayed(5)
    assert progress == Progress(8, frozenset({9}))


def test_offsets_below_the_first_retained_one_count_as_gone() -> None:
    progress = Progress(2, frozenset({4, 6})).nothing_parked_below(5)
    assert progress == Progress(5, frozenset({6}))
    assert Progress(5).nothing_parked_below(3) == Progress(5)


@given(
    position=st.integers(min_value=0, max_value=10_000),
    replayed=st.frozensets(st.integers(min_value=0, max_value=20_000), max_size=200),
)
def test_the_commit_metadata_reads_back_as_the_same_progress(
    position: int, replayed: frozenset[int]
) -> None:
    progress = Progress(position, frozenset(o for o in replayed if o > position))
    assert Progress.parse(progress.position, progress.metadata()) == progress


def test_scattered_replays_past_a_parked_message_stop_before_the_broker_limit() -> None:
    scattered = Progress(0, frozenset(range(1, 3 * METADATA_BUDGET, 2)))
    assert not scattered.fits()
    assert Progress(0, frozenset(range(1, 100_000))).fits()  # one range, however long


def test_metadata_other_tools_wrote_is_ignored() -> None:
    assert Progress.parse(12, "committed by someone else") == Progress(12)


def test_a_validation_error_reason_loses_the_input_it_quotes() -> None:
    reason = (
        "ValidationError: 2 validation errors for RefundRequested\n"
        "amount\n  Field required [type=missing, input_value={'ship_to': {'name': "
        "'Ada Lovelace', 'line1': '12 Analytical Row'}}, input_type=dict]\n"
        "order_id\n  String should match pattern [type=string_pattern_mismatch, "
        "input_value='Ada Lovelace', input_type=str]"
    )
    shown = redacted_reason(reason)
    assert "Ada" not in shown
    assert "Analytical" not in shown
    assert shown.startswith("ValidationError: 2 validation errors for RefundRequested | amount")
    assert shown.count("input_value=<redacted>") == 2


def test_a_reason_cut_short_inside_the_quoted_input_is_blanked_to_its_end() -> None:
    shown = redacted_reason(
        "ValidationError: Invalid JSON [type=json_invalid, input_value=b'Ada Lo"
    )
    assert shown == "ValidationError: Invalid JSON [type=json_invalid, input_value=<redacted>"


def test_a_replay_keeps_the_original_headers_but_not_the_dead_letter_ones() -> None:
    parked = ParkedMessage(
        dead_letter_topic="p-support.refunds.v1.dlq",
        partition=2,
        offset=41,
        key=b"ord_1",
        value=b"{}",
        headers=(
            ("traceparent", b"00-abc-def-01"),
            ("event-type", b"RefundRequested"),
            ("x-replayed-from", b"p-support.refunds.v1.dlq/2/7"),
            ("x-dlq-reason", b"PermanentError: no price list"),
            ("x-dlq-original-topic", b"p-support.refunds.v1"),
        ),
    )
    assert parked.replay_headers() == [
        ("traceparent", b"00-abc-def-01"),
        ("event-type", b"RefundRequested"),
        ("x-replayed-from", b"p-support.refunds.v1.dlq/2/41"),
    ]
    assert parked.summary()["previously_replayed_from"] == "p-support.refunds.v1.dlq/2/7"
