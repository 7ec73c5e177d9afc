"""This machine's Kafka ceiling, measured in the same run with Kafka's own tools.

``org.apache.kafka.tools.ProducerPerformance`` and ``ConsumerPerformance`` (the ``kafka-tools``
jar of the broker's own version) run on the JVM against the running broker, on a topic of the run's
own that is created and deleted here. The tools' jar is fetched once with Maven into a folder
next to the broker's class path, not onto it: a change to the broker's pom makes `make up` refuse
to go on until the broker is restarted (``stack.preflight.refuse_outdated``), and a benchmark
must not restart the broker.
"""

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from conveyor_local.stack.kafka import Kafka
from conveyor_local.stack.settings import CACHE
from conveyor_runtime.kafka_auth import KafkaCredentials
from conveyor_runtime.kafka_secrets import client_properties
from conveyor_runtime.kafka_topics import delete_topics_with_prefix, ensure_topics

TOOLS = CACHE / "kafka" / "tools"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"  # as the pom pins
TOOL_TIMEOUT = 300.0
_PRODUCED = re.compile(
    r"(?P<records>\d+) records sent, (?P<rate>[\d.]+) records/sec \((?P<mb>[\d.]+) MB/sec\), "
    r"(?P<avg>[\d.]+) ms avg latency, (?P<max>[\d.]+) ms max latency, (?P<p50>\d+) ms 50th, "
    r"(?P<p95>\d+) ms 95th, (?P<p99>\d+) ms 99th"
)


class CeilingUnavailableError(Exception):
    """The tools cannot run here (no broker jars, no Java, no Maven): said in the report."""


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    return str(Path(java_home) / "bin" / "java") if java_home else "java"


async def _run(argv: list[str], what: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=TOOL_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise CeilingUnavailableError(
            f"{what} did not finish within {TOOL_TIMEOUT:.0f} s"
        ) from None
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise CeilingUnavailableError(f"{what} exited {process.returncode}: {text[-600:]}")
    return text


async def class_path() -> str:
    """The broker's jars plus ``kafka-tools`` of the same version (fetched on first use)."""
    libs = Kafka.libs
    jars = sorted(libs.glob("kafka_2.13-*.jar"))
    if not jars:
        raise CeilingUnavailableError(f"no Kafka jars in {libs}: run `make up` first")
    version = jars[0].stem.removeprefix("kafka_2.13-")
    tools = TOOLS / f"kafka-tools-{version}.jar"
    if not tools.is_file():
        TOOLS.mkdir(parents=True, exist_ok=True)
        await _run(
            [
                "mvn",
                "--batch-mode",
                "-q",
                f"{DEPENDENCY_PLUGIN}:copy",
                f"-Dartifact=org.apache.kafka:kafka-tools:{version}",
                f"-DoutputDirectory={TOOLS}",
                f"-Dmaven.repo.local={CACHE / 'm2'}",
            ],
            "fetching kafka-tools with Maven",
        )
    return f"{tools}{os.pathsep}{libs}/*"


def parse_producer(output: str) -> dict[str, Any]:
    found = list(_PRODUCED.finditer(output))
    if not found:
        raise CeilingUnavailableError(f"ProducerPerformance printed no summary: {output[-600:]}")
    last = found[-1]
    return {
        "records": int(last["records"]),
        "records_per_second": round(float(last["rate"]), 1),
        "mb_per_second": float(last["mb"]),
        "latency_ms": {key: float(last[key]) for key in ("avg", "p50", "p95", "p99", "max")},
    }


def parse_consumer(output: str) -> dict[str, float]:
    """ConsumerPerformance's CSV: overall rates (group join included) and fetch-only rates."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for number, line in enumerate(lines[:-1]):
        if line.startswith("start.time"):
            row = dict(
                zip(
                    (name.strip() for name in line.split(",")),
                    (value.strip() for value in lines[number + 1].split(",")),
                    strict=False,
                )
            )
            return {
                "records": int(row["data.consumed.in.nMsg"]),
                "records_per_second": round(float(row["nMsg.sec"]), 1),
                "mb_per_second": round(float(row["MB.sec"]), 2),
                "fetch_records_per_second": round(float(row["fetch.nMsg.sec"]), 1),
                "group_join_ms": float(row["rebalance.time.ms"]),
            }
    raise CeilingUnavailableError(f"ConsumerPerformance printed no summary: {output[-600:]}")


async def kafka_ceiling(
    kafka: str,
    topic: str,
    *,
    records: int,
    record_bytes: int,
    partitions: int,
    credentials: KafkaCredentials | None = None,
) -> dict[str, Any]:
    """Produce ``records`` of ``record_bytes`` as fast as one producer can (acks=all,
    idempotent, the client's default batching), then read them back with one consumer; both
    log in as ``credentials`` when the broker authenticates."""
    cp = await class_path()
    java = [_java(), "-Xmx512m", "-Djava.awt.headless=true", "-cp", cp]
    await ensure_topics(kafka, {topic: partitions}, credentials=credentials)
    with tempfile.TemporaryDirectory(prefix="conveyor-ceiling-") as folder:
        login = _login_config(Path(folder), credentials)
        try:
            return await _produce_then_consume(
                java, kafka, topic, records, record_bytes, partitions, login
            )
        finally:
            await delete_topics_with_prefix(kafka, topic, credentials=credentials)


def _login_config(folder: Path, credentials: KafkaCredentials | None) -> list[str]:
    """The tools' ``--command-config`` arguments for a SCRAM login: a properties file only the
    user can read (a password on a command line is visible to every process)."""
    if credentials is None:
        return []
    path = folder / "client.properties"
    path.touch(mode=0o600)
    path.write_text(
        client_properties(credentials.username, credentials.password.get_secret_value())
    )
    return ["--command-config", str(path)]


async def _produce_then_consume(
    java: list[str],
    kafka: str,
    topic: str,
    records: int,
    record_bytes: int,
    partitions: int,
    login: list[str],
) -> dict[str, Any]:
    produced = parse_producer(
        await _run(
            [
                *java,
                "org.apache.kafka.tools.ProducerPerformance",
                "--bootstrap-server", kafka,
                "--topic", topic,
                "--num-records", str(records),
                "--record-size", str(record_bytes),
                "--throughput", "-1",
                *login,
                "--command-property", "acks=all", "enable.idempotence=true",
            ],
            "ProducerPerformance",
        )
    )  # fmt: skip
    consumed = parse_consumer(
        await _run(
            [
                *java,
                "org.apache.kafka.tools.ConsumerPerformance",
                "--bootstrap-server", kafka,
                "--topic", topic,
                "--num-records", str(records),
                "--group", f"{topic}-group",
                "--timeout", "60000",
                *login,
            ],
            "ConsumerPerformance",
        )
    )  # fmt: skip
    return {
        "records": records,
        "record_bytes": record_bytes,
        "partitions": partitions,
        "producer": produced,
        "consumer": consumed,
    }
