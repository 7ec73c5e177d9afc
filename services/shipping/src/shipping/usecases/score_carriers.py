"""Count the carriers' scorecards from the shipments shipping stored (rules: the domain's)."""

from collections.abc import Iterable
from datetime import datetime

from shipping.domain.scorecards import LONGEST, CarrierScorecards, scorecards
from shipping.ports import FulfilmentRepository


async def score_carriers(
    fulfilments: FulfilmentRepository, carriers: Iterable[str], now: datetime
) -> CarrierScorecards:
    """Every carrier's scorecards as of ``now``, from the fulfilments active in the longest
    window (one query, whatever the number of carriers)."""
    active = await fulfilments.active_since(now - LONGEST)
    return scorecards((s for f in active for s in f.shipments), carriers, now)
