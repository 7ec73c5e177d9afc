"""Reading parked messages back and re-driving them to their original topic, exactly once.

Plain aiokafka clients, not the services' FastStream broker: the tool needs explicit positions
and commit metadata (see ``progress.py``), and its publish must keep the original headers as
they are. Rewriting ``traceparent`` (as the telemetry middleware would) would cut the replayed
message off from its order's trace; kept, the consumer's span joins that trace.

Idempotency: the tool's consumer group (``REPLAY_GROUP`` under the deployment's prefix) commits
its progress on a dead-letter partition right after the broker confirmed each re-publish
(``acks=all``, idempotent producer). A crash between the two re-drives that one message again on
the next run, which consumers absorb by deduplicating on ``event_id``. Two replays must not run
at the same time: both would start from the same committed progress.
"""

from collections.abc import AsyncGenerator, Callable
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from conveyor_runtime.dead_letters.parked import ParkedMessage
from conveyor_runtime.dead_letters.progress import METADATA_BUDGET, Progress
from conveyor_runtime.kafka_auth import KafkaCredentials, client_options

# The consumer group holding what was replayed. Renaming it forgets every replay: the next run
# would re-drive everything still in the dead-letter topics.
REPLAY_GROUP = "dead-letter-replay"
_CLIENT_ID = "conveyor-dead-letters"
_FETCH_WAIT_MS = 1000
_STALL_SECONDS = 30.0


@dataclass(frozen=True)
class Selection:
    """Which parked messages a replay takes; every criterion given must match."""

    reason: str | None = None  # a case-insensitive substring of the (redacted) reason
    key: str | None = None
    partition: int | None = None  # of the dead-letter topic
    from_offset: int | None = None  # dead-letter offsets, inclusive
    to_offset: int | None = None

    def matches(self, message: ParkedMessage) -> bool:
        return (
            (self.reason is None or self.reason.casefold() in message.reason.casefold())
            and (self.key is None or self.key == message.key_text)
            and (self.partition is None or self.partition == message.partition)
            and (self.from_offset is None or message.offset >= self.from_offset)
            and (self.to_offset is None or message.offset <= self.to_offset)
        )


@dataclass
class Outcome:
    """What one run did on one dead-letter topic."""

    dead_letter_topic: str
    # Replayed or discarded; in a dry run, would be.
    replayed: list[ParkedMessage] = field(default_factory=list)
    still_parked: list[ParkedMessage] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)  # partitions a replay had to leave early


class DeadLetters:
    """The dead-letter topics of one deployment: ``async with DeadLetters(...) as dead:``."""

    def __init__(
        self,
        bootstrap_servers: str,
        prefix: str = "",
        credentials: KafkaCredentials | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.auth = client_options(credentials)  # an operator's tool: the admin principal
        self.group_id = prefix + REPLAY_GROUP

    async def __aenter__(self) -> "DeadLetters":
        # Built here, not in __init__: a client created and never started warns when collected.
        async with AsyncExitStack() as stack:
            self._admin = AIOKafkaAdminClient(
                bootstrap_servers=self.bootstrap_servers, client_id=_CLIENT_ID, **self.auth
            )
            await self._admin.start()
            stack.push_async_callback(self._admin.close)
            # Without a group: it only asks partitions for their first and end offsets.
            self._offsets = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap_servers,
                client_id=_CLIENT_ID,
                group_id=None,
                **self.auth,
            )
            await self._offsets.start()
            stack.push_async_callback(self._offsets.stop)
            self._producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap_servers,
                client_id=_CLIENT_ID,
                acks="all",
                enable_idempotence=True,
                **self.auth,
            )
            await self._producer.start()
            stack.push_async_callback(self._producer.stop)
            self._clients = stack.pop_all()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._clients.aclose()

    async def existing(self, topics: list[str]) -> list[str]:
        """The given topics that exist on the broker, in the given order."""
        present = set(await self._admin.list_topics())
        return [topic for topic in topics if topic in present]

    async def parked(self, dead_letter_topic: str) -> Outcome:
        """Every message of the topic not replayed yet, in ``still_parked``."""
        return await self._run(dead_letter_topic, lambda _: False, dry_run=True)

    async def replay(
        self, dead_letter_topic: str, selection: Selection, *, dry_run: bool
    ) -> Outcome:
        """Re-drive the selected parked messages to the topic the dead-letter topic belongs to.

        Args:
            dead_letter_topic: The deployed (prefixed) ``<topic>.dlq``.
            selection: Which messages; the others stay parked for a later run.
            dry_run: Report what would be re-driven; publish and commit nothing.
        """
        return await self._run(dead_letter_topic, selection.matches, dry_run=dry_run)

    async def discard(
        self, dead_letter_topic: str, selection: Selection, *, dry_run: bool
    ) -> Outcome:
        """Mark the selected parked messages as dealt with, without re-driving them: input
        that can never succeed (bad bytes a producer has since stopped sending). They stay in
        the topic until retention deletes them, but no list or replay shows them again."""
        return await self._run(
            dead_letter_topic, selection.matches, dry_run=dry_run, republish=False
        )

    async def _run(
        self,
        topic: str,
        wanted: Callable[[ParkedMessage], bool],
        *,
        dry_run: bool,
        republish: bool = True,
    ) -> Outcome:
        outcome = Outcome(topic)
        partitions = await self._committed(topic)
        first = await self._offsets.beginning_offsets([tp for tp, _ in partitions])
        end = await self._offsets.end_offsets([tp for tp, _ in partitions])
        if all(max(progress.position, first[tp]) >= end[tp] for tp, progress in partitions):
            return outcome  # nothing left to read: no need to start a consumer of the group
        # A consumer per topic: assigning other partitions to a running one races with
        # aiokafka's coordinator task (it asserts that the assignment it holds is still active).
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            client_id=_CLIENT_ID,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **self.auth,
        )
        await consumer.start()
        try:
            consumer.assign([tp for tp, _ in partitions])
            run = _TopicRun(consumer, self._producer, wanted, dry_run, republish, outcome)
            for tp, committed in partitions:
                progress = await run.partition(tp, committed, first[tp], end[tp])
                if not dry_run and progress != committed:
                    await run.commit(tp, progress)  # moved past earlier replays
            return outcome
        finally:
            await consumer.stop()

    async def _committed(self, topic: str) -> list[tuple[TopicPartition, Progress]]:
        """Each partition of ``topic`` with the progress committed on it."""
        (described,) = await self._admin.describe_topics([topic])
        numbers = sorted(partition["partition"] for partition in described["partitions"])
        partitions = [TopicPartition(topic, number) for number in numbers]
        committed = await self._admin.list_consumer_group_offsets(
            self.group_id, partitions=partitions
        )
        return [(partition, _progress(committed.get(partition))) for partition in partitions]


@dataclass
class _TopicRun:
    """One pass over one dead-letter topic."""

    consumer: AIOKafkaConsumer
    producer: AIOKafkaProducer
    wanted: Callable[[ParkedMessage], bool]
    dry_run: bool
    republish: bool  # False: discard
    outcome: Outcome

    async def partition(
        self, partition: TopicPartition, progress: Progress, first: int, end: int
    ) -> Progress:
        """Go through one partition's messages not replayed yet, from its first retained
        offset ``first`` to ``end`` (its end when the run began); the progress at the end."""
        first_left: int | None = None  # the first offset this run leaves parked
        async with aclosing(self._read(partition, max(progress.position, first), end)) as read:
            async for message in read:
                if first_left is None:
                    progress = progress.nothing_parked_below(message.offset)
                if progress.is_replayed(message.offset):
                    continue
                if not self.wanted(message):
                    first_left = message.offset if first_left is None else first_left
                    self.outcome.still_parked.append(message)
                    continue
                after = progress.with_replayed(message.offset)
                if not after.fits():
                    self.outcome.stopped.append(_over_budget(partition, message.offset))
                    return progress
                if not self.dry_run:
                    if self.republish:
                        await self.producer.send_and_wait(
                            partition.topic.removesuffix(".dlq"),
                            message.value,
                            key=message.key,
                            headers=message.replay_headers(),
                        )
                    await self.commit(partition, after)  # only once the broker confirmed
                self.outcome.replayed.append(message)
                progress = after
        return progress if first_left is not None else progress.nothing_parked_below(end)

    async def _read(
        self, partition: TopicPartition, start: int, end: int
    ) -> AsyncGenerator[ParkedMessage, None]:
        """The partition's messages from ``start`` up to ``end``, in order."""
        self.consumer.seek(partition, start)
        waited = 0.0
        while await self.consumer.position(partition) < end:
            batch = await self.consumer.getmany(partition, timeout_ms=_FETCH_WAIT_MS)
            records = batch.get(partition, [])
            if not records:
                waited += _FETCH_WAIT_MS / 1000
                if waited >= _STALL_SECONDS:
                    raise TimeoutError(f"no messages from {partition} for {waited:.0f}s")
                continue
            waited = 0.0
            for record in records:
                if record.offset < end:
                    yield ParkedMessage.from_record(record)

    async def commit(self, partition: TopicPartition, progress: Progress) -> None:
        await self.consumer.commit(
            {partition: OffsetAndMetadata(progress.position, progress.metadata())}
        )


def _progress(stored: OffsetAndMetadata | None) -> Progress:
    if stored is None or stored.offset < 0:  # nothing committed yet: everything is parked
        return Progress(0)
    return Progress.parse(stored.offset, stored.metadata or "")


def _over_budget(partition: TopicPartition, offset: int) -> str:
    return (
        f"partition {partition.partition} stopped at offset {offset}: the offsets replayed past "
        f"parked ones would exceed {METADATA_BUDGET} bytes of commit metadata; replay the "
        "messages parked before them first"
    )
