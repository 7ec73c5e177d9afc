"""The demo's buyers and agents: returns of delivered orders, lost parcels reshipped or refunded,
through support's API."""

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from conveyor_local.demo.observer import Observed

RETURN_SHARE = 10  # one delivered order in ten comes back
say = functools.partial(print, flush=True)  # a CLI: it reports on stdout


@dataclass
class AfterSalesDesk:
    """The buyers and agents of the demo: some delivered orders are returned, and every lost
    parcel is settled, by reshipping one and refunding the next; a return the carrier lost on
    its way back is refunded."""

    support: Callable[[], str]  # the base URL of a support instance that is up
    bearer: Callable[[], str]  # a fresh agent token of the development issuer
    lines: dict[str, list[tuple[str, int]]]  # order id -> its (sku, quantity) lines
    handled: set[str] = field(default_factory=set)
    cases: dict[str, str] = field(default_factory=dict)  # order id -> its return case
    settled: set[str] = field(default_factory=set)  # lost parcels reshipped or refunded
    reship_next: bool = True

    async def act(self, observed: Observed) -> None:
        async with httpx.AsyncClient(
            base_url=self.support(),
            timeout=15.0,
            headers={"Authorization": f"Bearer {self.bearer()}"},
        ) as http:
            for order_id, status in list(observed.status.items()):
                if order_id in self.settled or order_id not in self.lines:
                    continue
                lost_case = observed.lost_cases.get(order_id)
                try:
                    if lost_case and status == "lost":
                        if await self._settle(http, order_id, lost_case, reship=self.reship_next):
                            self.reship_next = not self.reship_next
                    elif lost_case and status == "return_in_progress":
                        # The carrier lost the parcel the buyer sent back: refund the buyer.
                        await self._settle(http, order_id, lost_case, reship=False)
                    elif order_id in self.handled:
                        continue
                    elif status == "delivered" and _share(order_id) < RETURN_SHARE:
                        await self._return(http, order_id)
                except httpx.TransportError as error:
                    # A busy support service is a slow answer, not a failed demo: next round.
                    say(f"support did not answer for {order_id} ({type(error).__name__}); retrying")

    def returning(self) -> list[str]:
        """Returns the desk started: done once refunded."""
        return [o for o in self.handled if _share(o) < RETURN_SHARE and o not in self.settled]

    async def _return(self, http: httpx.AsyncClient, order_id: str) -> None:
        if order_id not in self.cases:
            body = {"order_id": order_id, "kind": "return_request"}
            opened = await http.post("/cases", json=body)
            if opened.status_code != 201:
                return  # support has not heard of the order yet: next round
            self.cases[order_id] = opened.json()["case_id"]
        sku, _ = self.lines[order_id][0]
        lines = [{"sku": sku, "quantity": 1, "reason": "changed_mind"}]
        # 409 until support has seen the delivery: the same case is tried again next round.
        answer = await http.post(f"/cases/{self.cases[order_id]}/return", json={"lines": lines})
        if answer.status_code == 200:
            self.handled.add(order_id)

    async def _settle(
        self, http: httpx.AsyncClient, order_id: str, case_id: str, *, reship: bool
    ) -> bool:
        sku, quantity = self.lines[order_id][0]
        body: dict[str, Any] = (
            {"action": "reship", "lines": [{"sku": sku, "quantity": quantity}]}
            if reship
            else {"action": "refund"}
        )
        if (await http.post(f"/cases/{case_id}/resolution", json=body)).status_code != 200:
            return False
        self.handled.add(order_id)
        self.settled.add(order_id)
        return True


def _share(order_id: str) -> int:
    """A stable 0-99 draw per order, so the same seed returns the same orders."""
    return int(hashlib.sha256(order_id.encode()).hexdigest(), 16) % 100
