"""Inventory's Mongo stores on their own, with a relay that must never run: the store tests
check what is written, and an outbox entry published here would be a test bug."""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import MongoOutboxStore, OutboxMessage, OutboxRelay
from inventory.adapters.mongo_inbound import MongoInbound
from inventory.adapters.mongo_stock import MongoStock
from inventory.adapters.wire import inventory_outlet

Mongo = AsyncMongoClient[dict[str, Any]]


async def _never_published(_: OutboxMessage) -> None:
    raise AssertionError("no relay runs here")


def _idle_relay(collection: AsyncCollection[dict[str, Any]], locks: KeyedLock) -> OutboxRelay:
    return OutboxRelay(MongoOutboxStore(collection), _never_published, locks)


def mongo_stock(mongo: Mongo, namespace: str) -> MongoStock:
    collection, locks = mongo[f"{namespace}inventory"]["stock"], KeyedLock()
    return MongoStock(collection, locks, _idle_relay(collection, locks), inventory_outlet())


def mongo_inbound(mongo: Mongo, namespace: str) -> MongoInbound:
    collection, locks = mongo[f"{namespace}inventory"]["inbound_shipments"], KeyedLock()
    return MongoInbound(collection, locks, _idle_relay(collection, locks), inventory_outlet())
