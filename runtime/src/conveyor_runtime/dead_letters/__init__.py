"""Dead-letter topics read back: list what is parked, and replay it once the cause is fixed.

Every consumed topic ``<topic>`` has a companion ``<topic>.dlq`` where ``consumer.py`` parks a
message it cannot process: the original bytes, key and headers plus ``x-dlq-*`` headers (reason,
original topic/partition/offset, consumer group, time). This package re-drives such messages to
their original topic, at most once each, keeping the filtered-out ones parked for a later run:

- ``parked.py``: one parked message and what of it may be shown (never the payload);
- ``progress.py``: what was replayed, kept in the tool's committed offsets;
- ``replay.py``: reading the topics and re-publishing;
- ``cli.py``: the command line (``python -m conveyor_runtime.dead_letters --help``).
"""

from conveyor_runtime.dead_letters.parked import REPLAYED_FROM_HEADER, ParkedMessage
from conveyor_runtime.dead_letters.replay import REPLAY_GROUP, DeadLetters, Outcome, Selection

__all__ = [
    "REPLAYED_FROM_HEADER",
    "REPLAY_GROUP",
    "DeadLetters",
    "Outcome",
    "ParkedMessage",
    "Selection",
]
