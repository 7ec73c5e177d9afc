"""A real service process (its own ``main``: settings, ``create_app``, serve) with a test seam.

    python tests/service_harness.py orders --die before-publish
    python tests/service_harness.py orders --die after-publish
    python tests/service_harness.py orders --max-conflict-attempts 4 --contend ord_123

``--die`` SIGKILLs the process at its outbox relay's first publish: ``before-publish`` once the
write that made the event is stored and before the event leaves, ``after-publish`` once the
broker confirmed it and before its removal from the outbox is written.

``--contend`` plays another writer that moves a document's version on the database right after
each read of it by this process, so every versioned write the service then makes of it finds the
version gone (a writer bumping it in a loop from outside wins most races, not every one).
``--max-conflict-attempts`` lowers the consumer's bound on such a message (20, with backoff of up
to 10 s, in production), so the bound is reached in a test's time.
"""

import argparse
import functools
import importlib
import os
import signal
from typing import Any

from conveyor_runtime import consumer, consumer_config, outbox, service
from conveyor_runtime.documents import OutboxDocuments
from conveyor_runtime.outbox import OutboxMessage, Publish


def die() -> None:
    # As the kernel or an OOM killer would: no shutdown, no flush, nothing written after.
    os.kill(os.getpid(), signal.SIGKILL)


def dying_publisher(when: str) -> Any:
    real = outbox.kafka_publisher

    def build(*args: Any, **kwargs: Any) -> Publish:
        publish = real(*args, **kwargs)

        async def publish_then_die(message: OutboxMessage) -> None:
            if when == "before-publish":
                die()
            await publish(message)  # confirmed by the broker (acks=all) when it returns
            die()

        return publish_then_die

    return build


def contend(document_id: str) -> None:
    read = OutboxDocuments._read

    async def read_then_moved(self: OutboxDocuments[Any], key: str) -> dict[str, Any] | None:
        document = await read(self, key)
        if key == document_id:
            # A write of its own on the database, between this process's read and its write.
            await self.collection.update_one({"_id": key}, {"$inc": {"version": 1}})
        return document

    OutboxDocuments._read = read_then_moved  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("service", choices=["orders", "inventory", "shipping", "support"])
    parser.add_argument("--die", choices=["before-publish", "after-publish"])
    parser.add_argument("--max-conflict-attempts", type=int)
    parser.add_argument("--contend", metavar="DOCUMENT_ID")
    args = parser.parse_args()
    if args.die:
        # Where the service's infrastructure looks it up when it builds each relay.
        service.kafka_publisher = dying_publisher(args.die)  # type: ignore[attr-defined]
    if args.max_conflict_attempts:
        retry = consumer_config.RetryPolicy(
            first_delay=0.05, max_delay=0.2, max_conflict_attempts=args.max_conflict_attempts
        )
        subscribe = functools.partial(consumer.subscribe_batches, retry=retry)
        service.subscribe_batches = subscribe  # type: ignore[attr-defined]
    if args.contend:
        contend(args.contend)
    importlib.import_module(f"{args.service}.__main__").main()


if __name__ == "__main__":
    main()
