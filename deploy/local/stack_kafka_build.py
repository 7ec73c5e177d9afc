"""Kafka's jars: fetched with Maven from Maven Central into .cache/kafka/libs, shared by every
node of every stack home."""

import hashlib
import shutil

from stack_install import require_tool, run_logged
from stack_server import Server
from stack_settings import CACHE, HERE, LOG_DIR


class KafkaBuild(Server):
    """How a Kafka node (``Kafka``) is installed: the broker's jars, pinned in pom.xml."""

    # Kafka and log4j versions are pinned in deploy/local/kafka/pom.xml.
    pom = HERE / "kafka" / "pom.xml"
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
