"""Sellers' inbound shipments in the demo: each seller announces its ASNs to inventory (with its
own token), the warehouse's receipts against them follow (a SKU not announced first: receipts
of different SKUs keep no order on the topic, and one after every announced unit would find the
ASN complete), and the run ends with each seller's inbound shipments as inventory reconciled
them, read as an operator.

A run lasts minutes, the reconciliation's grace business days: the warehouse does not wait for
it. Once the receipts of an ASN the plan made short are reconciled, it says its receiving is
done for it (as an operator: operators run the warehouses), so that ASN ends ``short`` with the
short SKU told within the run; complete, over, unexpected and late are told as receipts arrive.
"""

import asyncio
import functools
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from conveyor_contracts.warehouse import GoodsReceived
from conveyor_simulators.catalogue import SELLERS
from conveyor_simulators.inbound import PlannedAsn, inbound_receipts, plan_inbound

say = functools.partial(print, flush=True)  # a CLI: it reports on stdout


Announced = list[tuple[PlannedAsn, str]]  # each ASN with the id inventory answered for it


async def announce_inbound(
    url: Callable[[str], str],
    seller_token: Callable[[str], str],
    seed: int,
    warehouses: tuple[str, ...],
) -> tuple[list[PlannedAsn], Announced, list[str]]:
    """Every seller's ASNs announced: the plan, those inventory took with the ASN id it answered
    (the receipts name it), and what went wrong."""
    plan = plan_inbound(seed, warehouses, datetime.now(UTC))
    announced: Announced = []
    problems: list[str] = []
    async with httpx.AsyncClient(timeout=15.0) as http:
        for asn in plan:
            answer = await http.post(
                f"{url('inventory')}/sellers/{asn.seller_id}/inbound-shipments",
                json=asn.body(),
                headers={"Authorization": f"Bearer {seller_token(asn.seller_id)}"},
            )
            if answer.status_code not in (200, 201):
                problems.append(f"ASN {asn.reference} refused: {answer.status_code}")
                continue
            announced.append((asn, answer.json()["asn_id"]))
    return plan, announced, problems


async def receive_inbound(
    url: Callable[[str], str],
    bearer: Callable[[], str],
    seed: int,
    announced: Announced,
    publish: Callable[[list[GoodsReceived]], Awaitable[int]],
) -> list[str]:
    """The warehouse's receipts: the SKUs to receive first (unexpected ones), then, once
    inventory counted those, the rest; then its receiving done for the ASNs planned short, once
    their receipts are counted too. What went wrong."""
    first, rest = _split(seed, announced)
    await publish(first)
    sellers = sorted({asn.seller_id for asn, _ in announced})
    waiting = {(str(r.asn_id), r.sku) for r in first}
    waiting = await _until_received(url, bearer, sellers, waiting)
    await publish(rest)
    problems = [f"receipt of {sku} never reconciled against {asn_id}" for asn_id, sku in waiting]
    return problems + await _receiving_done(url, bearer, sellers, announced)


async def _receiving_done(
    url: Callable[[str], str], bearer: Callable[[], str], sellers: list[str], announced: Announced
) -> list[str]:
    """The warehouse says its receiving is done for each ASN planned short, once inventory
    counted every receipt of it (the short SKU's fewer units too), so the ASN ends ``short``
    now; what went wrong."""
    short = [(asn, asn_id) for asn, asn_id in announced if _planned_short(asn)]
    waiting = {(asn_id, sku) for asn, asn_id in short for sku, _ in asn.received}
    waiting = await _until_received(url, bearer, sellers, waiting)
    problems = [f"receipt of {sku} never reconciled against {asn_id}" for asn_id, sku in waiting]
    pending = {asn_id for asn_id, _ in waiting}
    headers = {"Authorization": f"Bearer {bearer()}"}
    async with httpx.AsyncClient(timeout=15.0, headers=headers) as http:
        for asn, asn_id in short:
            if asn_id in pending:
                continue  # ending it now would tell short what is still on its way
            answer = await http.post(
                f"{url('inventory')}/inbound-shipments/{asn_id}/receiving-done"
            )
            if answer.status_code != 200:
                problems.append(f"receiving done for ASN {asn.reference}: {answer.status_code}")
    return problems


def _planned_short(asn: PlannedAsn) -> bool:
    return any(kind == "short" for kind, _ in asn.discrepancies)


def _split(seed: int, announced: Announced) -> tuple[list[GoodsReceived], list[GoodsReceived]]:
    """The receipts to publish first, and the others."""
    first: list[GoodsReceived] = []
    rest: list[GoodsReceived] = []
    for asn, asn_id in announced:
        for receipt in inbound_receipts(seed, asn, asn_id):
            (first if receipt.sku in asn.first else rest).append(receipt)
    return first, rest


async def _until_received(
    url: Callable[[str], str],
    bearer: Callable[[], str],
    sellers: list[str],
    waiting: set[tuple[str, str]],
) -> set[tuple[str, str]]:
    """Polls the sellers' inbound shipments until every (ASN, SKU) waited for was received
    against its ASN (30 s at most); those that never were."""
    headers = {"Authorization": f"Bearer {bearer()}"}
    async with httpx.AsyncClient(timeout=15.0, headers=headers) as http:
        for _ in range(150):
            if not waiting:
                break
            await asyncio.sleep(0.2)
            for seller in sellers:
                answer = await http.get(f"{url('inventory')}/sellers/{seller}/inbound-shipments")
                if answer.status_code == 200:
                    waiting = waiting - _received(answer.json()["inbound_shipments"])
    return waiting


def _received(shipments: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {
        (s["asn_id"], line["sku"]) for s in shipments for line in s["lines"] if line["received"]
    }


async def read_inbound(
    url: Callable[[str], str], bearer: Callable[[], str], plan: list[PlannedAsn]
) -> dict[str, Any]:
    """Each seller's inbound shipments as inventory answers them, with what was planned."""
    headers = {"Authorization": f"Bearer {bearer()}"}
    sellers: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=15.0, headers=headers) as http:
        for seller in SELLERS:
            try:
                answer = await http.get(f"{url('inventory')}/sellers/{seller}/inbound-shipments")
            except httpx.HTTPError:
                answer = httpx.Response(503)  # read as none: the summary shows it
            shipments = answer.json()["inbound_shipments"] if answer.status_code == 200 else []
            sellers[seller] = _seller_view(shipments)
    planned = [
        {"seller_id": a.seller_id, "warehouse_id": a.warehouse_id, "kind": kind, "sku": sku}
        for a in plan
        for kind, sku in a.discrepancies
    ]
    return {"sellers": sellers, "planned_discrepancies": planned}


def _seller_view(shipments: list[dict[str, Any]]) -> dict[str, Any]:
    told = Counter(d["kind"] for s in shipments for d in s["discrepancies"])
    return {
        "asns": len(shipments),
        "by_status": dict(Counter(_state(s) for s in shipments).most_common()),
        "discrepancies": dict(sorted(told.items())),
        "shipments": [
            {
                "asn_id": s["asn_id"],
                "warehouse_id": s["warehouse_id"],
                "status": s["status"],
                "outcome": s["outcome"],
                "expected": sum(line["expected"] for line in s["lines"]),
                "received": sum(line["received"] for line in s["lines"]),
                "short_lines": [
                    line["sku"] for line in s["lines"] if line["received"] < line["expected"]
                ],
                "discrepancies": [[d["kind"], d["sku"]] for d in s["discrepancies"]],
            }
            for s in shipments
        ],
    }


def _state(shipment: dict[str, Any]) -> str:
    return str(shipment["status"] if shipment["outcome"] is None else shipment["outcome"])


def print_inbound(inbound: dict[str, Any], events: dict[str, int]) -> None:
    say("sellers' inbound shipments (short ones ended by the warehouse's receiving done):")
    for seller, view in inbound["sellers"].items():
        states = ", ".join(f"{state} {n}" for state, n in view["by_status"].items())
        told = ", ".join(f"{kind} {n}" for kind, n in view["discrepancies"].items()) or "none"
        say(f"  {seller}: {view['asns']} ASNs ({states or 'none'}); discrepancies told: {told}")
        _print_short(view["shipments"])
    counted = ", ".join(f"{event_type} {n}" for event_type, n in events.items())
    say(f"  inbound events: {counted or 'none'}")


def _print_short(shipments: list[dict[str, Any]]) -> None:
    for s in shipments:
        if s["short_lines"]:
            ended = "open" if s["outcome"] is None else f"ended {s['outcome']}"
            say(
                f"    {s['warehouse_id']}: {ended}, {s['received']}/{s['expected']} received "
                f"(short of {', '.join(s['short_lines'])})"
            )
