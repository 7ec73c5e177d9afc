"""The bearer headers of the support tests' agent and two buyers, minted with the session's
test keys (``token_issuer``)."""

from dataclasses import dataclass

from conveyor_runtime.tokens import Issuer


@dataclass(frozen=True)
class Who:
    agent: dict[str, str]
    ada: dict[str, str]  # the buyer of the test's order
    bob: dict[str, str]  # another buyer
    operator: dict[str, str]  # a role support does not serve

    @classmethod
    def of(cls, issuer: Issuer, *, ada: str, bob: str) -> "Who":
        return cls(
            agent=issuer.bearer("agent", "agt_1"),
            ada=issuer.bearer("buyer", ada),
            bob=issuer.bearer("buyer", bob),
            operator=issuer.bearer("operator", "opr_1"),
        )
