"""Who may read what: agents see every order; a buyer sees only the orders placed with their
buyer id. Pure; the HTTP layer turns "may not" and "does not exist" into the same answer."""

from dataclasses import dataclass
from typing import Literal

from support.domain.timeline import Timeline


@dataclass(frozen=True)
class Principal:
    role: Literal["agent", "buyer"]
    subject: str  # the agent's id, or the buyer's id (personal: never logged)

    def __repr__(self) -> str:  # keep the buyer id out of tracebacks and debug output
        return f"Principal(role={self.role!r})"

    @property
    def is_agent(self) -> bool:
        return self.role == "agent"


def may_read(principal: Principal, timeline: Timeline | None) -> bool:
    if timeline is None:
        return False
    if principal.is_agent:
        return True
    return timeline.buyer_id is not None and timeline.buyer_id == principal.subject
