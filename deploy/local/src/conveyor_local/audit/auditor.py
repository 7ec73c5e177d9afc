"""The invariant auditor: after a run of the mesh, what must hold of its topics and databases.

Reads every topic of a run's namespace (its topic prefix) and the four service databases of the
run (``<prefix>orders`` and so on), and checks:

1. ``orders_ended``: every valid ``OrderPlaced`` on the checkout topic has its order in the orders
   database and on the status topic, the status topic's last word is the database's status, and
   that status is an end or a waiting state (``WAITING``, below);
2. ``status_monotonic``: per order, the status topic never goes back by the order state
   machine's own rank (``orders.domain.order.OrderStatus``);
3. ``one_confirmed_booking``: per shipment, each carrier booking is confirmed at most once and by
   the carrier booked, and a shipment a carrier holds has exactly one confirmed booking, the one
   shipping's database names;
4. ``one_restock_and_refund``: at most one restock per returned shipment, at most one refund
   request per RMA;
5. ``stock_conserved``: per (warehouse, SKU), received + restocked = on hand + shipped, and
   0 <= reserved <= on hand, reserved being the holds of reservations still holding;
6. ``outboxes_drained``: no document of any service keeps an unpublished outbox entry;
7. ``dead_letters_expected``: every dead letter is one the caller said to expect;
8. ``consumer_lag_zero``: every consumer group of the run has consumed every partition to its end.

``python -m conveyor_local.audit --prefix demo1796...-`` prints a table and exits 1 on any
violation; ``await audit(kafka, mongo_url, prefix)`` returns the same as an ``Audit``.
"""

import argparse
import asyncio
import functools
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import AsyncMongoClient

from conveyor_local.audit.checks import INVARIANTS, check
from conveyor_local.audit.read import (
    Snapshot,
    quiet,
    read_documents,
    read_lag,
    read_outboxes,
    read_topics,
)
from conveyor_local.audit.result import Audit, ExpectedDeadLetter
from conveyor_runtime.kafka_auth import KafkaCredentials

say = functools.partial(print, flush=True)  # a CLI: it reports on stdout


async def audit(
    kafka: str,
    mongo_url: str,
    prefix: str,
    *,
    expected_dead_letters: Sequence[ExpectedDeadLetter] = (),
    skip: Mapping[str, str] | None = None,
    quiet_within: float = 30.0,
    credentials: KafkaCredentials | None = None,
) -> Audit:
    """Check the invariants of the run whose topics and databases are named ``prefix``....

    Args:
        kafka: Bootstrap servers.
        mongo_url: The database server of the run's service databases.
        prefix: The run's topic prefix, e.g. ``demo1796194947-``.
        expected_dead_letters: What the run parked on purpose; any other dead letter violates.
        skip: Invariant name -> why it is not meaningful for this run (reported, not checked).
        quiet_within: Seconds to wait first for every group's lag to reach 0 and every outbox to
            drain (the mesh finishing its last messages); then the audit reads what is there.
        credentials: How the auditor logs in (the admin: it reads every topic and group).
    """
    started = time.monotonic()
    unknown = set(skip or {}) - set(INVARIANTS)
    if unknown:
        raise ValueError(f"no such invariant: {', '.join(sorted(unknown))}")
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    try:
        if quiet_within > 0:
            await _until_quiet(kafka, mongo, prefix, quiet_within, credentials)
        waited = round(time.monotonic() - started, 2)
        snapshot = Snapshot(records=await read_topics(kafka, prefix, credentials))
        snapshot.documents = await read_documents(mongo, prefix)
        snapshot.pending, snapshot.documents_scanned = await read_outboxes(mongo, prefix)
        snapshot.lag = await read_lag(kafka, prefix, credentials)
    finally:
        await mongo.close()
    invariants = check(snapshot, expected_dead_letters, skip or {})
    messages = sum(len(records) for records in snapshot.records.values())
    return Audit(prefix, invariants, messages, round(time.monotonic() - started, 2), waited)


async def until_quiet(
    kafka: str,
    mongo_url: str,
    prefix: str,
    within: float,
    credentials: KafkaCredentials | None = None,
) -> bool:
    """Whether, within ``within`` seconds, every consumer group of the run reached the end of
    its topics with every outbox empty: the mesh at rest, done with what it was given."""
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        return await _until_quiet(kafka, mongo, prefix, within, credentials)
    finally:
        await mongo.close()


async def _until_quiet(
    kafka: str,
    mongo: AsyncMongoClient[dict[str, Any]],
    prefix: str,
    within: float,
    credentials: KafkaCredentials | None,
) -> bool:
    # Polled, with a deadline: quiet is other processes' state, there is nothing to await.
    deadline = time.monotonic() + within
    while True:
        if await quiet(kafka, mongo, prefix, credentials):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.5)


def _expected_from(text: str) -> ExpectedDeadLetter:
    topic, _, reason = text.partition(":")
    return ExpectedDeadLetter(topic, reason)


def main(argv: list[str] | None = None) -> int:
    # only the command line needs the local stack's default addresses
    from conveyor_local.stack.settings import Endpoints, Settings

    local = Endpoints.of(Settings.from_env())
    parser = argparse.ArgumentParser(
        prog="python -m conveyor_local.audit", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--prefix", required=True, help="the run's topic prefix, e.g. demo17-")
    parser.add_argument("--kafka", default=local.kafka)
    parser.add_argument("--mongo-url", default=local.mongo_url)
    parser.add_argument(
        "--expect-dead-letter",
        action="append",
        default=[],
        metavar="TOPIC[:REASON]",
        help="dead letters the run meant, e.g. checkout.orders.v1:ValidationError",
    )
    parser.add_argument("--quiet-within", type=float, default=30.0, help="seconds to settle")
    parser.add_argument("--json", action="store_true", help="print the audit as JSON")
    args = parser.parse_args(argv)
    result = asyncio.run(
        audit(
            args.kafka,
            args.mongo_url,
            args.prefix,
            expected_dead_letters=[_expected_from(text) for text in args.expect_dead_letter],
            quiet_within=args.quiet_within,
            credentials=local.kafka_login(),
        )
    )
    if args.json:
        say(json.dumps(result.to_json(), indent=2))
    else:
        for line in result.table():
            say(line)
        say(
            f"{result.messages} messages read; {result.seconds} s "
            f"({result.waited} s of them waiting for the mesh to go quiet)"
        )
    return 0 if result.held else 1
