"""How far the replay tool got on one dead-letter partition, stored as its committed offset.

A replay may be filtered (one reason, one key, an offset range), so it can re-drive offset 7
while offset 5 stays parked. Committing 8 would hide offset 5 from every later run; committing
5 alone would re-drive offset 7 again next time. So the committed offset stays at the first
message still parked, and the offsets replayed above it travel in the commit's metadata string
(Kafka keeps it with the offset): ``replayed=7,9-12``. The broker caps metadata
(``offset.metadata.max.bytes``, 4096 by default), hence ``METADATA_BUDGET``: a replay that
would exceed it stops on that partition before re-driving, never after.
"""

from dataclasses import dataclass

METADATA_BUDGET = 3000
_FIELD = "replayed="


@dataclass(frozen=True)
class Progress:
    """Every offset below ``position`` is replayed (or gone); above it, ``replayed`` lists the
    offsets re-driven past a message that stayed parked."""

    position: int
    replayed: frozenset[int] = frozenset()

    def is_replayed(self, offset: int) -> bool:
        return offset < self.position or offset in self.replayed

    def with_replayed(self, offset: int) -> "Progress":
        """This progress once ``offset`` has been re-driven."""
        if self.is_replayed(offset):
            return self
        return Progress(self.position, self.replayed | {offset})._closed_up()

    def nothing_parked_below(self, offset: int) -> "Progress":
        """This progress once a scan found nothing still parked below ``offset``: the offsets
        there were replayed, or retention deleted them."""
        if offset <= self.position:
            return self
        return Progress(offset, frozenset(o for o in self.replayed if o >= offset))._closed_up()

    def _closed_up(self) -> "Progress":
        # The position moves over every offset replayed in a row right above it.
        position, replayed = self.position, set(self.replayed)
        while position in replayed:
            replayed.discard(position)
            position += 1
        return Progress(position, frozenset(replayed))

    def metadata(self) -> str:
        """The replayed offsets above the position, as ranges: ``replayed=7,9-12``."""
        ranges: list[tuple[int, int]] = []
        for offset in sorted(self.replayed):
            if ranges and ranges[-1][1] == offset - 1:
                ranges[-1] = (ranges[-1][0], offset)
            else:
                ranges.append((offset, offset))
        text = ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)
        return _FIELD + text if text else ""

    def fits(self) -> bool:
        """Whether the metadata stays within what the broker accepts."""
        return len(self.metadata().encode()) <= METADATA_BUDGET

    @classmethod
    def parse(cls, position: int, metadata: str) -> "Progress":
        """Read back a committed offset and its metadata; other metadata is ignored."""
        replayed: set[int] = set()
        if metadata.startswith(_FIELD):
            for part in filter(None, metadata.removeprefix(_FIELD).split(",")):
                first, _, last = part.partition("-")
                replayed.update(range(int(first), int(last or first) + 1))
        return cls(position, frozenset(offset for offset in replayed if offset >= position))
