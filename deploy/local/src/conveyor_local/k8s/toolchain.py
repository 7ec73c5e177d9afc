"""Go modules at pinned versions: programs built once into .cache/bin, and files a module ships
(schemas, CRDs) copied once into .cache/k8s.

Both come from the Go module proxy with the repository's own Go caches (``go_environment``), so
the first run downloads and builds (minutes, see docs/scaling.md) and every later run finds them
in place without calling Go at all.
"""

import contextlib
import fcntl
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from conveyor_local.stack.go_build import download_module, go_environment
from conveyor_local.stack.install import require_tool, run_logged
from conveyor_local.stack.settings import BIN_DIR, CACHE, LOG_DIR

FILES_DIR = CACHE / "k8s"
_BUILD_DIR = CACHE / "build"
_LOG = LOG_DIR / "install-k8s-tools.log"


@dataclass(frozen=True)
class GoModule:
    """A module of the Go module proxy at one version, for files it ships."""

    path: str
    version: str

    def directory(self) -> Path:
        """The module's files in Go's module cache (downloaded the first time)."""
        require_tool("go", "Go 1.24+ fetches the Kubernetes tools and schemas from its proxy")
        _BUILD_DIR.mkdir(parents=True, exist_ok=True)
        return download_module(self.path, self.version, _BUILD_DIR)


@dataclass(frozen=True)
class GoTool:
    """A command-line program built from its Go module at a pinned version into .cache/bin.

    ``go install package@version`` builds it with the module's own go.mod (neither tool has
    replace directives, which go install would refuse); the binary is renamed after its version,
    so changing the pin builds the new one beside the old.
    """

    name: str
    package: str  # the main package's import path, module included
    version: str

    @property
    def binary(self) -> Path:
        return BIN_DIR / f"{self.name}-{self.version}"

    def ensure(self) -> Path:
        """The built program, building it first if it is not there yet."""
        if self.binary.is_file():
            return self.binary
        with _installing():
            if not self.binary.is_file():  # another process may have built it meanwhile
                self._build()
        return self.binary

    def _build(self) -> None:
        require_tool("go", f"Go 1.24+ builds {self.name} {self.version} from its Go module")
        gobin = _BUILD_DIR / f"{self.name}-{self.version}-bin"
        shutil.rmtree(gobin, ignore_errors=True)
        gobin.mkdir(parents=True)
        run_logged(
            ["go", "install", f"{self.package}@{self.version}"],
            what=f"building {self.name} {self.version} with Go",
            log=_LOG,
            cwd=_BUILD_DIR,
            env={**go_environment(), "GOBIN": str(gobin)},
        )
        BIN_DIR.mkdir(parents=True, exist_ok=True)
        (gobin / _program_name(self.package)).rename(self.binary)
        shutil.rmtree(gobin, ignore_errors=True)


def _program_name(package: str) -> str:
    """What go install names a main package's binary: its last path element, or the one
    before a major-version suffix (``sigs.k8s.io/kustomize/kustomize/v5`` -> ``kustomize``)."""
    elements = package.split("/")
    return elements[-2] if re.fullmatch(r"v[0-9]+", elements[-1]) else elements[-1]


def prepared(name: str, fill: Callable[[Path], None]) -> Path:
    """``.cache/k8s/<name>``, filled by ``fill`` the first time: into a partial folder that is
    renamed when complete, so an interrupted copy is never taken for a finished one."""
    folder = FILES_DIR / name
    if folder.is_dir():
        return folder
    with _installing():
        if not folder.is_dir():
            partial = FILES_DIR / f"{name}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            fill(partial)
            partial.rename(folder)
    return folder


@contextlib.contextmanager
def _installing() -> Iterator[None]:
    # One process installs, the others wait: test workers and `make k8s` may start together.
    FILES_DIR.mkdir(parents=True, exist_ok=True)
    with (FILES_DIR / "install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
