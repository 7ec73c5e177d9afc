"""Sellers' inbound cases in a dict: the repository for fast tests, with the Mongo one's
contract (``MongoInboundCases``)."""

from collections.abc import Sequence

from support.domain.inbound_cases import InboundCase
from support.ports import InboundCaseChange


class MemoryInboundCases:
    def __init__(self) -> None:
        self.cases: dict[str, InboundCase] = {}

    async def update(self, case_id: str, change: InboundCaseChange) -> InboundCase | None:
        current = self.cases.get(case_id)
        if current is None:
            return None
        self.cases[case_id] = after = change(current)
        return after

    async def upsert(
        self, case_id: str, change: InboundCaseChange, new: InboundCase
    ) -> InboundCase:
        after = change(self.cases.get(case_id, new))
        if case_id in self.cases or after != new:  # as Mongo: an unchanged new case is not stored
            self.cases[case_id] = after
        return after

    async def get(self, case_id: str) -> InboundCase | None:
        return self.cases.get(case_id)

    async def listed(self, seller_id: str | None, *, limit: int) -> Sequence[InboundCase]:
        mine = [c for c in self.cases.values() if seller_id is None or c.seller_id == seller_id]
        return sorted(mine, key=lambda case: case.opened_at, reverse=True)[:limit]
