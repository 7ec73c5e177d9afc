"""The documents a process wrote or read last, kept so that a change to one of them need not
read it again: the versioned write alone, whose version check catches a copy another process
made stale."""

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

from conveyor_runtime.outbox import OUTBOX_FIELD

# Documents kept per collection so that a change need not read what this process just wrote:
# the working set of a busy service (orders in flight, hot stock) with room to spare.
CACHED_DOCUMENTS = 20_000


class RecentDocuments:
    """The documents last read or written, by ``_id``, oldest first; ``CACHED_DOCUMENTS`` kept."""

    def __init__(self) -> None:
        self._documents: OrderedDict[Hashable, dict[str, Any]] = OrderedDict()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._documents

    def get(self, key: Hashable) -> dict[str, Any] | None:
        return self._documents.get(key)

    def forget(self, key: Hashable) -> None:
        self._documents.pop(key, None)

    def remember(self, document: Mapping[str, Any]) -> None:
        """Keep the document as last read or written (its outbox left out), newest last."""
        key = document["_id"]
        self._documents.pop(key, None)
        self._documents[key] = {
            name: value for name, value in document.items() if name != OUTBOX_FIELD
        }
        while len(self._documents) > CACHED_DOCUMENTS:
            self._documents.popitem(last=False)
