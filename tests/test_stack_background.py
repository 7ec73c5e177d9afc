"""The local stack's installs, checked without servers: one install of a server at a time
(a second caller waits and finds it installed), what is said while one runs, and how Jaeger's
background build is told apart and given its stack's settings."""

import threading
from pathlib import Path

import pytest

from conveyor_local.stack import install
from conveyor_local.stack.background import BackgroundInstall, building
from conveyor_local.stack.commands import status
from conveyor_local.stack.jaeger import Jaeger
from conveyor_local.stack.output import elapsed
from conveyor_local.stack.server import Server
from conveyor_local.stack.settings import Settings
from conveyor_testkit.waiting import wait_until


class SlowServer(Server):
    """Installs once the test lets it finish (``finish``), counting its installs."""

    name = "slow"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.finish = threading.Event()
        self.installs = 0
        self.done = False

    def installed(self) -> bool:
        return self.done

    def install(self) -> None:
        self.installs += 1
        assert self.finish.wait(timeout=30), "the test never let the install finish"
        self.done = True

    def version(self) -> str:
        return "v0"


@pytest.fixture
def locks_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install locks in a folder of the test's own, not the shared .cache."""
    monkeypatch.setattr(install, "install_lock_file", lambda s: tmp_path / f"install-{s.name}.lock")
    monkeypatch.setattr(install, "BIN_DIR", tmp_path / "bin")
    monkeypatch.setattr(install, "LOG_DIR", tmp_path / "logs")
    monkeypatch.setattr(install, "CACHE", tmp_path)
    return tmp_path


def test_a_second_caller_waits_for_the_install_under_way_instead_of_installing_again(
    locks_in: Path, tmp_path: Path
) -> None:
    server = SlowServer(Settings(home=tmp_path / "home"))
    results: list[bool] = []
    callers = [
        threading.Thread(target=lambda: results.append(install.install_one(server)))
        for _ in range(2)
    ]
    for caller in callers:
        caller.start()
    wait_until(lambda: server.installs == 1)
    running = install.install_running(server)
    assert running is not None
    assert running.pid is not None
    assert running.seconds < 5
    assert all(caller.is_alive() for caller in callers)  # the second waits on the first's lock
    server.finish.set()
    for caller in callers:
        caller.join()
    assert server.installs == 1
    assert sorted(results) == [False, True]
    assert install.install_running(server) is None


def test_an_install_that_takes_long_says_so_with_its_elapsed_time(
    locks_in: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(install, "PROGRESS_INTERVAL", 0.05)
    server = SlowServer(Settings(home=tmp_path / "home"))
    told = install.report_progress

    def told_twice_then_finish(running: Server) -> None:
        told(running)
        progress.append(running.name)
        if len(progress) == 2:
            server.finish.set()

    progress: list[str] = []
    monkeypatch.setattr(install, "report_progress", told_twice_then_finish)
    install.install_missing([server])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("slow      installing (first run; log ")
    progress = [line for line in lines if "still installing (elapsed " in line]
    assert len(progress) >= 2, lines
    assert lines[-1].startswith("slow      installed v0 in ")


def test_jaeger_says_it_is_building_while_its_install_runs(
    locks_in: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(home=tmp_path / "home", jaeger_health_port=1)  # nothing answers there
    jaeger = Jaeger(settings)
    monkeypatch.setattr(Jaeger, "installed", lambda self: False)
    assert building(jaeger) is None
    with install.install_lock(jaeger):
        state = building(jaeger)
        assert state is not None
        assert state.startswith("building (elapsed 0s; log ")
        assert status(settings) is False  # Kafka and FerretDB of this home are stopped
        jaeger_line = capsys.readouterr().out.splitlines()[-1]
        assert jaeger_line.startswith(f"jaeger    {jaeger.version()} building (elapsed ")
    assert building(jaeger) is None


def test_the_background_build_is_told_by_its_command_and_gets_its_stacks_settings(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path / "home", kafka_port=19092, kafka_controller_port=19093)
    builder = BackgroundInstall(Jaeger(settings))
    assert builder.name == "jaeger-install"
    assert builder.owns(
        ["/any/python", "-m", "conveyor_local.stack", "install-in-background", "jaeger"]
    )
    assert not builder.owns(["/any/python", "-m", "conveyor_local.stack", "up"])
    assert Settings.from_env(builder.environment()) == settings
    assert builder.environment()["CONVEYOR_INSTALL_NICENESS"] == "10"


@pytest.mark.parametrize(
    ("seconds", "said"), [(0.4, "0s"), (42, "42s"), (185, "3m05s"), (3720, "1h02m")]
)
def test_durations_read_as_a_person_says_them(seconds: float, said: str) -> None:
    assert elapsed(seconds) == said
