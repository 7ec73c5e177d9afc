"""What the local database does with concurrent conditional updates on one document.

MongoDB evaluates an update's filter and applies its change atomically per document, so of 50
concurrent "decrement if at least one left" updates on a stock of 10, exactly 10 succeed,
whatever the number of clients and processes. FerretDB v1.24.2 as released read the document,
changed it in Go and wrote it back without isolation, so more than 10 could succeed (lost
updates); the local stack builds it with a source fix
(``conveyor_local.stack.ferretdb_fixes_isolation``) that holds a write lock per document from an
update's, findAndModify's or filtered delete's read to its write. These tests require exactly 10
of 50 on whichever server the session uses, from two OS processes with a client each
(``tests/stock_buyers.py``), through ``update`` and through ``findAndModify``: so cross-process
invariants hold, and are tested, on the local stack too.
Writers to one document are still serialised inside a process (a keyed lock): that spares a hot
document a storm of failed conditional updates; it is not what makes them correct.

They also pin what every repository's speed rests on: a document is found through the ``_id``
index, also when the filter adds a condition (a versioned update's ``{_id, version}``) and for a
list of ids (``{_id: {$in: [...]}}``); and a bulk write of hundreds of updates completes. FerretDB
v1.24.2 as released scanned the whole collection for the lookups and hung on a bulk write of 100
updates; the local stack builds it with the source fixes in
``conveyor_local.stack.ferretdb_fixes_*``.
"""

import asyncio
import json
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from conveyor_runtime.mongo import KeyedLock
from conveyor_testkit import Servers

STOCK = 10
BUYERS = 50
PROCESSES = 2  # each with its own client and BUYERS // PROCESSES concurrent buyers
BUYERS_SCRIPT = Path(__file__).with_name("stock_buyers.py")
PROCESS_TIMEOUT = 60.0
BULK_UPDATES = 500
BULK_TIMEOUT_MS = 60_000  # the 500 updates take about a second; a hang must fail, not block
REPORT = Path(".cache/reports/database-limits.json")


async def take_one(stock: AsyncCollection[dict[str, Any]], sku: str) -> bool:
    result = await stock.update_one(
        {"_id": sku, "available": {"$gte": 1}}, {"$inc": {"available": -1}}
    )
    return result.modified_count == 1


async def race(servers: Servers) -> dict[str, Any]:
    """50 buyers in this process, one client, writers serialised per key by a KeyedLock."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        servers.mongo_url, maxPoolSize=BUYERS
    )
    try:
        database = client[f"limits_{uuid.uuid4().hex[:10]}"]
        stock = database["stock"]
        sku = "SKU-HOT-1"
        await stock.insert_one({"_id": sku, "available": STOCK})
        locks = KeyedLock()

        async def buyer() -> bool:
            async with locks.hold(sku):
                return await take_one(stock, sku)

        outcomes = await asyncio.gather(*(buyer() for _ in range(BUYERS)))
        document = await stock.find_one({"_id": sku})
        server = await server_name(client)
        await client.drop_database(database.name)
    finally:
        await client.close()
    assert document is not None
    return {
        "server": server,
        "serialised": True,
        "processes": 1,
        "buyers": BUYERS,
        "stock": STOCK,
        "successful_decrements": sum(outcomes),
        "final_available": document["available"],
    }


async def race_in_processes(servers: Servers, command: str) -> dict[str, Any]:
    """50 buyers in two OS processes, a client each, no lock: only the database decides."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
    database = client[f"limits_{uuid.uuid4().hex[:10]}"]
    sku = "SKU-HOT-1"
    buyers: list[asyncio.subprocess.Process] = []
    try:
        await database["stock"].insert_one({"_id": sku, "available": STOCK})
        for _ in range(PROCESSES):
            buyers.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    str(BUYERS_SCRIPT),
                    servers.mongo_url,
                    database.name,
                    sku,
                    str(BUYERS // PROCESSES),
                    command,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                )
            )
        for process in buyers:  # every process connected before any buys
            assert await read_line(process) == "ready", "a buyer process did not start"
        for process in buyers:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            await process.stdin.drain()
        answers = [json.loads(await read_line(process)) for process in buyers]
        for process in buyers:
            assert await asyncio.wait_for(process.wait(), PROCESS_TIMEOUT) == 0
        document = await database["stock"].find_one({"_id": sku})
        server = await server_name(client)
        await client.drop_database(database.name)
    finally:
        for process in buyers:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await client.close()
    assert document is not None
    return {
        "server": server,
        "serialised": False,
        "command": command,
        "processes": PROCESSES,
        "buyers": BUYERS,
        "stock": STOCK,
        "successful_decrements": sum(answer["successful"] for answer in answers),
        "successful_by_process": [answer["successful"] for answer in answers],
        "final_available": document["available"],
    }


async def read_line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), PROCESS_TIMEOUT)
    return line.decode().strip()


async def server_name(client: AsyncMongoClient[dict[str, Any]]) -> str:
    build = await client.admin.command("buildInfo")
    if "ferretdbVersion" in build:
        return f"ferretdb {build['ferretdbVersion']}"
    return f"mongodb {build['version']}"


def record(measurement: dict[str, Any]) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    runs = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    key = "serialised" if measurement["serialised"] else f"processes_{measurement['command']}"
    runs[key] = measurement
    REPORT.write_text(json.dumps(runs, indent=2) + "\n")


@pytest.mark.parametrize("command", ["update", "findAndModify"])
async def test_concurrent_conditional_decrements_from_two_processes_sell_exactly_the_stock(
    servers: Servers, command: str, record_property: Callable[[str, object], None]
) -> None:
    measurement = await race_in_processes(servers, command)
    record(measurement)
    record_property("measurement", measurement)
    # Atomic per document: on MongoDB, and on the local FerretDB with the stack's isolation fix.
    assert measurement["successful_decrements"] == STOCK, measurement
    assert measurement["final_available"] == 0, measurement


async def test_serialising_writers_per_key_in_process_sells_exactly_the_stock(
    servers: Servers, record_property: Callable[[str, object], None]
) -> None:
    measurement = await race(servers)
    record(measurement)
    record_property("measurement", measurement)
    assert measurement["successful_decrements"] == STOCK
    assert measurement["final_available"] == 0


async def test_lookups_by_id_use_the_id_index_also_with_a_version_condition(
    servers: Servers,
) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
    try:
        database = client[f"limits_{uuid.uuid4().hex[:10]}"]
        await database["orders"].insert_many([{"_id": f"ord_{n}", "version": 1} for n in range(50)])
        build = await client.admin.command("buildInfo")
        for query in ({"_id": "ord_7"}, {"_id": "ord_7", "version": 1}):
            plan = await database.command("explain", {"find": "orders", "filter": query})
            assert uses_id_index(plan, ferretdb="ferretdbVersion" in build), (query, plan)
        await client.drop_database(database.name)
    finally:
        await client.close()


async def test_lookups_by_id_in_a_list_use_the_id_index(servers: Servers) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
    try:
        database = client[f"limits_{uuid.uuid4().hex[:10]}"]
        await database["orders"].insert_many([{"_id": f"ord_{n}", "version": 1} for n in range(50)])
        build = await client.admin.command("buildInfo")
        wanted = ["ord_3", "ord_7", "ord_41", "ord_missing"]
        for query in ({"_id": {"$in": wanted}}, {"_id": {"$in": wanted}, "version": 1}):
            plan = await database.command("explain", {"find": "orders", "filter": query})
            assert uses_id_index(plan, ferretdb="ferretdbVersion" in build), (query, plan)
            found = await database["orders"].find(query).to_list()
            assert sorted(document["_id"] for document in found) == ["ord_3", "ord_41", "ord_7"]
        await client.drop_database(database.name)
    finally:
        await client.close()


async def test_a_bulk_write_of_500_updates_completes(servers: Servers) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        servers.mongo_url, timeoutMS=BULK_TIMEOUT_MS
    )
    try:
        database = client[f"limits_{uuid.uuid4().hex[:10]}"]
        orders = database["orders"]
        await orders.insert_many([{"_id": f"ord_{n}", "version": 1} for n in range(BULK_UPDATES)])
        updates = [
            UpdateOne({"_id": f"ord_{n}"}, {"$inc": {"version": 1}}) for n in range(BULK_UPDATES)
        ]
        try:
            result = await orders.bulk_write(updates, ordered=False)
            # The hang held the database, not the server: ping alone would still answer.
            await client.admin.command("ping")
            after = await orders.find_one({"_id": "ord_0"})
        except PyMongoError as error:
            pytest.fail(
                f"a bulk_write of {BULK_UPDATES} updates, or the commands after it, got no answer "
                f"within {BULK_TIMEOUT_MS / 1000:.0f} s ({error}); FerretDB v1.24.2 as released "
                "holds a pooled connection per update until the command ends"
            )
        assert result.modified_count == BULK_UPDATES
        assert after is not None
        assert after["version"] == 2
        await client.drop_database(database.name)
    finally:
        await client.close()


def uses_id_index(plan: dict[str, Any], *, ferretdb: bool) -> bool:
    if ferretdb and isinstance(plan["queryPlanner"]["Plan"], list):
        # SQLite's EXPLAIN QUERY PLAN lines; SCAN means every row was read
        steps = " ".join(plan["queryPlanner"]["Plan"])
        return plan["filterPushdown"] and "USING INDEX" in steps and "SCAN" not in steps
    if ferretdb:  # PostgreSQL's EXPLAIN (FORMAT JSON): an index scan, no sequential one
        steps = json.dumps(plan["queryPlanner"])
        return plan["filterPushdown"] and "Index Scan" in steps and "Seq Scan" not in steps
    winning = json.dumps(plan["queryPlanner"]["winningPlan"])
    return any(stage in winning for stage in ("IDHACK", "EXPRESS", "IXSCAN"))
