"""The servers `make bench-backends` compares: a throwaway PostgreSQL cluster, and FerretDB
started on SQLite files or on that cluster, with the CPU each one costs."""

import contextlib
import functools
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from conveyor_local.bench import cost as bench_cost
from conveyor_local.stack.ferretdb import FerretDB
from conveyor_local.stack.settings import CACHE, Settings

say = functools.partial(print, flush=True)  # a CLI: it reports on stdout

SCRATCH = CACHE / "backends"
# PostgreSQL's settings for a throwaway cluster: commits do not wait for the WAL flush, as the
# stack's SQLite files use synchronous(NORMAL) (a crash may lose the last commits, never corrupt).
POSTGRESQL_SETTINGS = {"synchronous_commit": "off", "listen_addresses": "127.0.0.1"}


class BenchError(RuntimeError):
    """What the person running the benchmark has to act on."""


# --- PostgreSQL -----------------------------------------------------------------------------


def postgresql_bin() -> Path:
    """The newest installed PostgreSQL's programs, installing Debian's package when none is."""
    if found := sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return found[-1].parent
    say("postgresql: not installed, installing Debian's package with apt-get")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if sudo and shutil.which("sudo") is None:
        raise BenchError("PostgreSQL is missing: run `apt-get install postgresql` as root")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"],
    ):
        subprocess.run([*sudo, *argv], env=environment, check=True, stdout=subprocess.DEVNULL)
    if found := sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return found[-1].parent
    raise BenchError("apt-get installed postgresql, but no /usr/lib/postgresql/*/bin/initdb")


@contextlib.contextmanager
def postgresql_cluster(port: int) -> Iterator[Path]:
    """A fresh cluster on 127.0.0.1:port with a ``ferretdb`` database; yields its data folder.

    PostgreSQL refuses to run as root: then the cluster belongs to the package's ``postgres``
    user, its commands run through runuser.
    """
    programs = postgresql_bin()
    home = SCRATCH / "postgresql"
    shutil.rmtree(home, ignore_errors=True)
    data = home / "data"
    home.mkdir(parents=True)
    as_owner: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    options = " ".join(f"-c {key}={value}" for key, value in POSTGRESQL_SETTINGS.items())
    options += f" -p {port} -c unix_socket_directories={home}"
    initdb = [*as_owner, str(programs / "initdb"), "-D", str(data), "-U", "postgres"]
    initdb += ["-E", "UTF8", "--locale=C", "--auth=trust", "--no-sync"]
    subprocess.run(initdb, check=True, stdout=subprocess.DEVNULL)
    pg_ctl = [*as_owner, str(programs / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        [*pg_ctl, "-l", str(home / "postgresql.log"), "-o", options, "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        createdb = [str(programs / "createdb"), "-h", "127.0.0.1", "-p", str(port)]
        subprocess.run([*createdb, "-U", "postgres", "ferretdb"], check=True)
        yield data
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL)
        shutil.rmtree(home, ignore_errors=True)


def postgresql_cpu_seconds(data: Path) -> float:
    """CPU of the postmaster and all its processes: the live ones' own, the exited ones' as
    their parent's children time."""
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            pid, parent = int(entry.name), int(fields[1])
            if pid == postmaster:
                total += sum(int(tick) for tick in fields[11:15])  # utime stime cutime cstime
            elif parent == postmaster:
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


# --- FerretDB -------------------------------------------------------------------------------


@dataclass
class Backend:
    """One FerretDB process on one storage, and what it costs."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    postgresql_data: Path | None = None
    ids: list[str] = field(default_factory=list)  # the seeded documents'
    versions: dict[str, int] = field(default_factory=dict)  # each document's, as last written

    def cpu_seconds(self) -> dict[str, float]:
        cpu = {"ferretdb": bench_cost.cpu_seconds(self.process.pid) or 0.0}
        if self.postgresql_data is not None:
            cpu["postgresql"] = postgresql_cpu_seconds(self.postgresql_data)
        return cpu


def ferretdb_command(binary: Path, backend: str, port: int, postgresql_port: int) -> list[str]:
    """The stack's own command line (its SQLite settings, no debug server), moved to the
    benchmark's port and data, and on PostgreSQL instead of SQLite for that backend."""
    server = FerretDB(Settings(mongo_port=port))
    server.data = SCRATCH / f"sqlite-{port}"
    server.state = SCRATCH / f"state-{port}"
    for directory in (server.data, server.state):
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
    argv = [str(binary), *server.command()[1:]]
    if backend == "postgresql":
        url = f"postgres://postgres@127.0.0.1:{postgresql_port}/ferretdb"
        argv = [arg for arg in argv if not arg.startswith(("--handler=", "--sqlite-url="))]
        argv += ["--handler=postgresql", f"--postgresql-url={url}"]
    return argv


@contextlib.contextmanager
def ferretdb(
    binary: Path, backend: str, port: int, postgresql_port: int, data: Path | None
) -> Iterator[Backend]:
    argv = ferretdb_command(binary, backend, port, postgresql_port)
    with (SCRATCH / f"ferretdb-{port}.log").open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        probe = FerretDB(Settings(mongo_port=port))
        deadline = time.monotonic() + 30
        while (problem := probe.probe()) is not None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"FerretDB on {backend} did not start: {problem}")
            time.sleep(0.2)
        yield Backend(backend, process, f"mongodb://127.0.0.1:{port}/", data)
    finally:
        process.terminate()
        process.wait(timeout=15)
