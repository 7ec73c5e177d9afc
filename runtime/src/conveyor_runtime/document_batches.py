"""The reads, inserts and versioned writes of a collection of ``OutboxDocuments``: those that
the handlers of different keys make at the same time go to the database as one command of each
kind (``conveyor_runtime.mongo.Batches``), and each caller is told its own outcome.
"""

from dataclasses import dataclass
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, OperationFailure

from conveyor_runtime.mongo import Batches

# Set by every versioned write to an id of its own: when some writes of one bulk command matched
# nothing, it tells which ones did (two processes can write the same version of a document).
WRITE_ID_FIELD = "write_id"
DUPLICATE_KEY = 11000


@dataclass(frozen=True)
class VersionedWrite:
    """One document's update, to apply only if it still has the version it was read at."""

    key: str
    version: int
    update: dict[str, Any]
    write_id: str


class DocumentBatches:
    """One collection's finds, inserts and versioned writes, each batched into bulk commands."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection
        self.find = Batches(self._find_many)
        self.insert = Batches(self._insert_many)
        self.update = Batches(self._update_many)

    async def _find_many(self, keys: list[str]) -> list[dict[str, Any] | None]:
        found = {
            document["_id"]: document
            async for document in self.collection.find({"_id": {"$in": list(set(keys))}})
        }
        # A copy each: two callers asking for one document must not share what they change.
        return [dict(found[key]) if key in found else None for key in keys]

    async def _insert_many(self, documents: list[dict[str, Any]]) -> list[bool | Exception]:
        """Each document inserted, or False when its ``_id`` is taken."""
        try:
            await self.collection.bulk_write(
                [InsertOne(document) for document in documents], ordered=False
            )
        except BulkWriteError as error:
            return _per_statement(error, [True] * len(documents))
        return [True] * len(documents)

    async def _update_many(self, writes: list[VersionedWrite]) -> list[bool | Exception]:
        """Whether each versioned write matched its version."""
        statements = [
            UpdateOne({"_id": write.key, "version": write.version}, write.update)
            for write in writes
        ]
        outcomes: list[bool | Exception] = [True] * len(writes)
        try:
            matched = (await self.collection.bulk_write(statements, ordered=False)).matched_count
        except BulkWriteError as error:
            outcomes = _per_statement(error, outcomes)
            matched = error.details.get("nMatched", 0)
        if matched < outcomes.count(True):  # some found their version moved: which ones?
            applied = await self._applied(writes)
            outcomes = [
                done if outcome is True else outcome
                for outcome, done in zip(outcomes, applied, strict=True)
            ]
        return outcomes

    async def _applied(self, writes: list[VersionedWrite]) -> list[bool]:
        """Which of the writes a bulk command applied: those whose write id the documents hold."""
        held = {
            document.get(WRITE_ID_FIELD)
            async for document in self.collection.find(
                {"_id": {"$in": list({write.key for write in writes})}}, {WRITE_ID_FIELD: 1}
            )
        }
        return [write.write_id in held for write in writes]


def _per_statement(
    error: BulkWriteError, outcomes: list[bool | Exception]
) -> list[bool | Exception]:
    """``outcomes`` with each failed statement's own outcome: False for a taken ``_id``, its
    error otherwise."""
    for failure in error.details.get("writeErrors", []):
        index = failure["index"]
        if failure.get("code") == DUPLICATE_KEY:
            outcomes[index] = False
        else:
            outcomes[index] = OperationFailure(failure.get("errmsg", ""), failure.get("code"))
    return outcomes
