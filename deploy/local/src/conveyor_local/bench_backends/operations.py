"""The operations the services' repositories make, as `make bench-backends` measures them."""

import random
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import ReturnDocument, UpdateOne

from conveyor_local.bench_backends.servers import Backend, BenchError

IN_IDS = 100
BULK_UPDATES = 200  # one bulk_write call is one operation here

Collection = Any  # pymongo's AsyncCollection[dict[str, Any]]
Operation = Callable[[Collection, Backend, list[str], random.Random], Awaitable[None]]


def document(number: int) -> dict[str, Any]:
    """About 200 bytes of BSON, the shape of a small aggregate with a version."""
    return {
        "_id": f"doc-{number:06d}",
        "version": 1,
        "counter": 0,
        "status": "placed",
        "sku": f"SKU-{number % 97:04d}",
        "payload": "x" * 100,
    }


async def insert_one(
    docs: Collection, backend: Backend, ids: list[str], rng: random.Random
) -> None:
    await docs.insert_one({**document(0), "_id": f"new-{rng.getrandbits(64):016x}"})


async def find_one_id(
    docs: Collection, backend: Backend, ids: list[str], rng: random.Random
) -> None:
    if await docs.find_one({"_id": rng.choice(ids)}) is None:
        raise BenchError("find_one by _id found nothing")


async def versioned_update(
    docs: Collection, backend: Backend, ids: list[str], rng: random.Random
) -> None:
    key = rng.choice(ids)  # this client's own ids: no other client changes their version
    version = backend.versions.get(key, 1)
    found = await docs.find_one_and_update(
        {"_id": key, "version": version},
        {"$inc": {"version": 1}, "$set": {"status": "accepted"}},
        return_document=ReturnDocument.AFTER,
    )
    if found is None:
        raise BenchError(f"the versioned update of {key} at version {version} matched nothing")
    backend.versions[key] = version + 1


async def update_one_id(
    docs: Collection, backend: Backend, ids: list[str], rng: random.Random
) -> None:
    await docs.update_one({"_id": rng.choice(ids)}, {"$inc": {"counter": 1}})


async def find_in_100(
    docs: Collection, backend: Backend, ids: list[str], rng: random.Random
) -> None:
    found = await docs.find({"_id": {"$in": rng.sample(backend.ids, IN_IDS)}}).to_list()
    if len(found) != IN_IDS:
        raise BenchError(f"find by {IN_IDS} ids found {len(found)}")


async def bulk_write_200(
    docs: Collection, backend: Backend, ids: list[str], rng: random.Random
) -> None:
    chosen = rng.sample(ids, min(BULK_UPDATES, len(ids)))
    updates = [UpdateOne({"_id": key}, {"$inc": {"counter": 1}}) for key in chosen]
    await docs.bulk_write(updates, ordered=False)


OPERATION_FUNCTIONS: dict[str, Operation] = {  # in the order they run
    "insert_one": insert_one,
    "find_one_id": find_one_id,
    "versioned_update": versioned_update,
    "update_one_id": update_one_id,
    "find_in_100": find_in_100,
    "bulk_write_200": bulk_write_200,
}

OPERATIONS = tuple(OPERATION_FUNCTIONS)
