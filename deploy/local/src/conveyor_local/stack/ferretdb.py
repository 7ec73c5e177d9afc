"""FerretDB: its pinned version, built with its source fixes, run over SQLite files."""

from collections.abc import Mapping
from typing import ClassVar

import pymongo
import pymongo.errors

from conveyor_local.stack.ferretdb_fixes_commands import (
    PROFILE_IN_DEBUG_BUILDS_ONLY,
    UPDATE_RELEASES_EACH_READ,
)
from conveyor_local.stack.ferretdb_fixes_isolation import WRITE_LOCK_FIXES
from conveyor_local.stack.ferretdb_fixes_postgresql import POSTGRESQL_ID_FIXES
from conveyor_local.stack.ferretdb_fixes_sqlite import SQLITE_ID_IN_FIXES, SQLITE_ID_INDEX_FIXES
from conveyor_local.stack.go_build import GoServer
from conveyor_local.stack.settings import Settings

FERRETDB_VERSION = "v1.24.2"


class FerretDB(GoServer):
    """FerretDB: the MongoDB wire protocol over SQLite files (no transactions, see PITFALLS)."""

    name = "ferretdb"
    module = "github.com/FerretDB/FerretDB"
    program = "cmd/ferretdb"
    pinned = FERRETDB_VERSION
    # Its release process writes this file (`git describe`); without it the binary panics.
    generated_files: ClassVar[Mapping[str, str]] = {
        "build/version/version.txt": f"{FERRETDB_VERSION}\n"
    }
    # In the order they were written, which is the order they apply in: fixes to one file apply
    # in turn (WRITE_LOCK_FIXES rewrite what UPDATE_RELEASES_EACH_READ wrote), and the binary's
    # name digests the whole tuple.
    source_fixes = (
        *SQLITE_ID_INDEX_FIXES,
        UPDATE_RELEASES_EACH_READ,
        *SQLITE_ID_IN_FIXES,
        PROFILE_IN_DEBUG_BUILDS_ONLY,
        *POSTGRESQL_ID_FIXES,
        *WRITE_LOCK_FIXES,
    )

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.data = settings.data_dir / "ferretdb"
        self.state = settings.data_dir / "ferretdb-state"

    def ports(self) -> dict[str, int]:
        return {"mongodb": self.settings.mongo_port}

    def prepare(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        self.state.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        return [
            str(self.binary),
            "--handler=sqlite",
            # FerretDB itself adds busy_timeout(10000), journal_mode(wal) and auto_vacuum(none).
            # In WAL mode synchronous(NORMAL) syncs at checkpoints instead of at every commit: a
            # process crash loses nothing, a power cut may lose the last commits (never corrupts).
            # Measured: about one fsync less per write; 4 writers of update_one 420-680/s before,
            # 970-1750/s after, 1.0-1.2 -> 0.6-0.7 ms of server CPU per update.
            f"--sqlite-url=file:{self.data}/?_pragma=synchronous(NORMAL)",
            f"--listen-addr={self.settings.host}:{self.settings.mongo_port}",
            "--telemetry=disable",
            # Its state.json (instance id, telemetry choice) lands in the working directory
            # otherwise.
            f"--state-dir={self.state}",
            # The debug/metrics HTTP server would take 127.0.0.1:8088; nothing here reads it.
            "--debug-addr=-",
            # At warn it dumps every failed command in full, such as the endSessions (which it
            # lacks) that each PyMongo client sends on close. Lower it to investigate.
            "--log-level=error",
        ]

    def probe(self) -> str | None:
        client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
            host=self.settings.host,
            port=self.settings.mongo_port,
            serverSelectionTimeoutMS=1000,
            connectTimeoutMS=1000,
        )
        try:
            client.admin.command("ping")
        except pymongo.errors.PyMongoError as error:
            return f"no answer to ping: {error}"
        finally:
            client.close()
        return None
