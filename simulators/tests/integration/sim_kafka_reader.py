"""Reads a namespaced topic back from the start, for the simulators' integration tests."""

import asyncio
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer

from conveyor_testkit import KafkaLogin


async def read_topic(
    login: KafkaLogin, topic: str, *, until: Any, within: float = 30.0
) -> list[Any]:
    """Records from the start of ``topic`` until ``until(records)`` holds; fails at the deadline.
    The test's own reader: it logs in as the admin (on a broker that authenticates)."""
    consumer = AIOKafkaConsumer(
        topic,
        **login.options(),
        group_id=f"reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    records: list[Any] = []
    try:
        await consumer.start()
        deadline = asyncio.get_running_loop().time() + within
        while not until(records):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"only {len(records)} records on {topic} within {within}s")
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()  # also after a failed start: an unclosed client warns at GC
    return records
