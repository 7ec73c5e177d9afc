"""What the benchmark's processes used: their pids, CPU and peak memory, and a py-spy profile."""

import contextlib
import resource
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

from conveyor_local.bench.cost import LOAD, SERVERS, Sample
from conveyor_local.bench.load import PHASES
from conveyor_local.mesh import Instance
from conveyor_local.stack.commands import all_servers
from conveyor_local.stack.processes import running_pid
from conveyor_local.stack.settings import Endpoints, Settings


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def server_pids(endpoints: Endpoints) -> dict[str, int]:
    """The pids of this checkout's FerretDB, Kafka and Jaeger, for those the run talks to."""
    settings = Settings.from_env()
    local = Endpoints.of(settings)
    used = {
        "ferretdb": endpoints.mongo_url == local.mongo_url,
        "kafka": endpoints.kafka == local.kafka,
        "jaeger": endpoints.otlp_http == local.otlp_http,
    }
    found = {
        server.name: pid
        for server in all_servers(settings)
        if used.get(server.name) and (pid := running_pid(server)) is not None
    }
    return {name: found[name] for name in SERVERS if name in found}


def process_usage(
    services: list[Instance],
    phases: dict[str, tuple[Sample, ...]],
) -> dict[str, Any]:
    """CPU and memory of the services and of the benchmark's own process, over the whole run
    (idle windows included) and per phase."""
    peaks = {service.name: _peak_rss_mib(service.pid) for service in services}
    peaks[LOAD] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    first, last = phases[PHASES[0]][0], phases[PHASES[-1]][-1]
    seconds = last.at - first.at
    usage = {}
    for name, peak in peaks.items():
        cpu = (last.cpu[name] or 0.0) - (first.cpu[name] or 0.0)
        usage[name] = {
            "cpu_seconds": round(cpu, 1),
            "cpu_percent": round(100 * cpu / seconds, 1),
            "peak_rss_mib": peak,
            "cpu_seconds_by_phase": {
                phase: round((end.cpu[name] or 0.0) - (start.cpu[name] or 0.0), 1)
                for phase, (_, start, end) in phases.items()
            },
        }
    return usage


@contextlib.contextmanager
def profiled(pid: int | None, output: Path) -> Any:
    """py-spy on one process while the block runs, when asked for and py-spy is installed."""
    spy = shutil.which("py-spy")
    if pid is None or spy is None:
        yield None
        return
    # py-spy writes its profile when interrupted, so it records exactly the block's time.
    process = subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--rate", "50", "--format", "raw", "-o", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield output
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
