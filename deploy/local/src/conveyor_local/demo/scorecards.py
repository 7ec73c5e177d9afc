"""The figures the demo ends with: each seller's scorecard (from orders) and each carrier's (from
shipping), read over HTTP as an operator, the last 7 days of each."""

import functools
from collections.abc import Callable
from typing import Any

import httpx

from conveyor_simulators.catalogue import SELLERS

say = functools.partial(print, flush=True)  # a CLI: it reports on stdout

_CARRIER_FIGURES = ("on_time", "first_attempt", "loss", "decline")
_SELLER_FIGURES = (
    "late_dispatch",
    "valid_tracking",
    "on_time_delivery",
    "seller_fault_cancellation",
)


async def read_scorecards(url: Callable[[str], str], bearer: Callable[[], str]) -> dict[str, Any]:
    """Every simulated seller's scorecard and the carriers' (as their APIs answer them)."""
    headers = {"Authorization": f"Bearer {bearer()}"}
    async with httpx.AsyncClient(timeout=15.0, headers=headers) as http:
        sellers = {}
        for seller in SELLERS:
            answer = await http.get(f"{url('orders')}/sellers/{seller}/scorecard")
            sellers[seller] = answer.json() if answer.status_code == 200 else None
        answer = await http.get(f"{url('shipping')}/carriers/scorecards")
        answer.raise_for_status()
    return {"sellers": sellers, "carriers": answer.json()}


def _rate(figure: dict[str, Any]) -> str:
    rate = figure["rate"]
    shown = "  n/a" if rate is None else f"{rate:5.1%}"
    return f"{shown} ({figure['numerator']}/{figure['denominator']})"


def print_scorecards(scorecards: dict[str, Any]) -> None:
    say("seller scorecards, last 7 days (carrier-fault orders left out):")
    for seller, card in scorecards["sellers"].items():
        if card is None:
            say(f"  {seller}: no orders")
            continue
        week = card["windows"][0]
        figures = "  ".join(f"{name} {_rate(week[name])}" for name in _SELLER_FIGURES)
        within = {True: "within", False: "OVER", None: "n/a"}[week["within_late_dispatch_target"]]
        say(f"  {seller}: {week['orders']} orders, {week['carrier_fault_excluded']} excluded")
        say(f"    {figures}  (late dispatch target {week['late_dispatch_target']:.0%}: {within})")
    carriers = scorecards["carriers"]
    say(f"carrier scorecards, last 7 days (as counted at {carriers['as_of']}):")
    for card in carriers["carriers"]:
        week = card["last_7_days"]
        figures = "  ".join(f"{name} {_rate(week[name])}" for name in _CARRIER_FIGURES)
        say(f"  {card['carrier_code']:<16} {figures}")
