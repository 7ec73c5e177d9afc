"""Buyers of one hot SKU in a process of their own, for tests/test_database_limits.py.

    python tests/stock_buyers.py MONGO_URL DATABASE SKU BUYERS update|findAndModify

Connects its own client (one pooled connection per buyer), prints ``ready``, waits for a line
on stdin so that every process starts buying at once, then runs its buyers concurrently, each
one conditional decrement ("take one if at least one is left") with no lock of any kind, and
prints ``{"successful": N}``.
"""

import asyncio
import json
import sys
from typing import Any

from pymongo import AsyncMongoClient

TAKE_ONE: dict[str, Any] = {"$inc": {"available": -1}}


async def buy(url: str, database: str, sku: str, buyers: int, command: str) -> int:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, maxPoolSize=buyers)
    try:
        stock = client[database]["stock"]
        # Open every buyer's connection now, so that none is still connecting at the start.
        await asyncio.gather(*(client.admin.command("ping") for _ in range(buyers)))
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        await asyncio.to_thread(sys.stdin.readline)

        async def buyer() -> bool:
            wanted = {"_id": sku, "available": {"$gte": 1}}
            if command == "update":
                return (await stock.update_one(wanted, TAKE_ONE)).modified_count == 1
            return await stock.find_one_and_update(wanted, TAKE_ONE) is not None

        return sum(await asyncio.gather(*(buyer() for _ in range(buyers))))
    finally:
        await client.close()


def main(argv: list[str]) -> int:
    url, database, sku, buyers, command = argv
    if command not in ("update", "findAndModify"):
        raise SystemExit(f"unknown command {command!r}")
    successful = asyncio.run(buy(url, database, sku, int(buyers), command))
    sys.stdout.write(json.dumps({"successful": successful}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
