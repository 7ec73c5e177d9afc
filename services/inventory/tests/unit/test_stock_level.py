"""Stock levels: every move keeps on_hand >= reserved >= 0 or is refused."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.domain.stock import StockLevel, StockRuleError, is_low


def test_reserving_more_than_is_available_is_refused() -> None:
    with pytest.raises(StockRuleError):
        StockLevel(on_hand=3, reserved=2).reserved_more(2)


def test_committing_takes_units_off_the_shelf_and_out_of_the_reservation() -> None:
    assert StockLevel(on_hand=10, reserved=4).committed(3) == StockLevel(on_hand=7, reserved=1)


def test_releasing_gives_units_back_to_available() -> None:
    assert StockLevel(on_hand=10, reserved=4).released(4).available == 10


def test_a_count_below_the_reservations_keeps_them_and_shows_nothing_available() -> None:
    assert StockLevel(on_hand=10, reserved=4).counted(2) == StockLevel(on_hand=4, reserved=4)


def test_stock_is_low_at_or_below_the_threshold() -> None:
    assert is_low(StockLevel(on_hand=5, reserved=0), threshold=5)
    assert not is_low(StockLevel(on_hand=6, reserved=0), threshold=5)


moves = st.lists(
    st.tuples(
        st.sampled_from(("received", "counted", "reserved_more", "released", "committed")),
        st.integers(0, 30),
    ),
    max_size=40,
)


# No deadline: the first example can be slow on a loaded CI box (a flake, not a bug).
@settings(deadline=None)
@given(moves)
def test_no_sequence_of_moves_breaks_on_hand_at_least_reserved_at_least_zero(
    sequence: list[tuple[str, int]],
) -> None:
    level = StockLevel()
    for move, units in sequence:
        with contextlib.suppress(StockRuleError):
            level = getattr(level, move)(units)
        assert level.on_hand >= level.reserved >= 0
