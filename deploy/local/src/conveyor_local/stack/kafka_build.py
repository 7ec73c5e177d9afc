"""Kafka's jars: fetched with Maven from Maven Central into .cache/kafka/libs, shared by every
node of every stack home."""

import hashlib
import shutil
from pathlib import Path

from conveyor_local.stack.install import require_tool, run_logged
from conveyor_local.stack.server import Server
from conveyor_local.stack.settings import CACHE, LOG_DIR

# Kafka's resources: the pinned pom.xml, the server.properties template, log4j2.xml.
KAFKA_FILES = Path(__file__).resolve().parent / "kafka_files"


class KafkaBuild(Server):
    """How a Kafka node (``Kafka``) is installed: the broker's jars, pinned in pom.xml."""

    # Kafka and log4j versions are pinned in kafka_files/pom.xml.
    pom = KAFKA_FILES / "pom.xml"
    libs = CACHE / "kafka" / "libs"
    # The class path is rebuilt whenever pom.xml changes: the stamp holds the pom's hash.
    libs_stamp = libs / ".pom.sha256"
    class_data_archive = libs / "kafka.jsa"

    def version(self) -> str:
        jars = sorted(self.libs.glob("kafka_2.13-*.jar"))
        return jars[0].stem.removeprefix("kafka_2.13-") if jars else "(not fetched)"

    def installed(self) -> bool:
        return self.libs_stamp.is_file() and self.libs_stamp.read_text() == self._pom_hash()

    def install(self) -> None:
        require_tool("mvn", "Maven (with Java 17+) fetches the Kafka broker's jars")
        shutil.rmtree(self.libs, ignore_errors=True)  # no stale jars of an older pin
        run_logged(
            [
                "mvn",
                "--batch-mode",
                "-q",
                "-f",
                str(self.pom),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={self.libs}",
                f"-Dmaven.repo.local={CACHE / 'm2'}",
            ],
            what="fetching Kafka's jars with Maven",
            log=LOG_DIR / "install-kafka.log",
        )
        self.libs_stamp.write_text(self._pom_hash())

    def _pom_hash(self) -> str:
        return hashlib.sha256(self.pom.read_bytes()).hexdigest()
