"""Sellers' inbound cases in a dict: the repository for fast tests, with the Mongo one's
contract (``MongoInboundCases``); given ``deadlines`` (a timer poller's ``stored``), each write
tells them the case's first-response deadline, as Mongo's does."""

from collections.abc import Sequence

from conveyor_runtime.documents import Stored
from conveyor_runtime.timers import DUE_FIELD
from support.domain.inbound_cases import InboundCase
from support.ports import InboundCaseChange


class MemoryInboundCases:
    def __init__(self, deadlines: Stored | None = None) -> None:
        self.cases: dict[str, InboundCase] = {}
        self.deadlines = deadlines

    def _stored(self, case: InboundCase) -> InboundCase:
        self.cases[case.case_id] = case
        if self.deadlines is not None:
            self.deadlines(case.case_id, {DUE_FIELD: case.due_at}, None)
        return case

    async def update(self, case_id: str, change: InboundCaseChange) -> InboundCase | None:
        current = self.cases.get(case_id)
        if current is None:
            return None
        return self._stored(change(current))

    async def upsert(
        self, case_id: str, change: InboundCaseChange, new: InboundCase
    ) -> InboundCase:
        after = change(self.cases.get(case_id, new))
        if case_id in self.cases or after != new:  # as Mongo: an unchanged new case is not stored
            self._stored(after)
        return after

    async def get(self, case_id: str) -> InboundCase | None:
        return self.cases.get(case_id)

    async def listed(self, seller_id: str | None, *, limit: int) -> Sequence[InboundCase]:
        mine = [c for c in self.cases.values() if seller_id is None or c.seller_id == seller_id]
        return sorted(mine, key=lambda case: case.opened_at, reverse=True)[:limit]
