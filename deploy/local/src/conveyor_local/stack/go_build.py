"""Servers built once from their Go module at a pinned version, with source fixes made to the
module before the build (FerretDB and Jaeger)."""

import hashlib
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from conveyor_local.stack.install import require_tool, run_logged
from conveyor_local.stack.server import Server
from conveyor_local.stack.settings import BIN_DIR, CACHE, LOG_DIR, StackError

# -buildvcs=false: the copy sits inside this repository, whose commit is not theirs. Without a
# symbol table and DWARF (-s -w) the link is shorter and Jaeger's binary 30% smaller (panics
# still print their stack); -trimpath keeps .cache's path out of it. Measured in the README.
BUILD_FLAGS = ("-buildvcs=false", "-trimpath", "-ldflags=-s -w")


@dataclass(frozen=True)
class SourceFix:
    """A change to a pinned module's source, made before building it; ``why`` is kept with it.

    ``old`` must occur exactly ``count`` times, so a fix that no longer applies fails the build
    instead of silently building the unfixed server.
    """

    path: str  # inside the module
    old: str
    new: str
    why: str
    count: int = 1

    def apply(self, source: Path) -> None:
        file = source / self.path
        text = file.read_text()
        found = text.count(self.old)
        if found != self.count:
            raise StackError(
                f"source fix for {self.path} expects {self.count} occurrence(s) of {self.old!r}, "
                f"found {found}: the pinned version changed; review "
                "deploy/local/src/conveyor_local/stack/ferretdb_fixes_*.py or jaeger_fixes.py"
            )
        file.chmod(file.stat().st_mode | stat.S_IWUSR)  # copied from Go's read-only module cache
        file.write_text(text.replace(self.old, self.new))


@dataclass(frozen=True)
class SpanFix:
    """A change to a pinned module's source over many lines: the text from ``start`` up to
    ``end`` (not included) becomes ``new``; ``why`` is kept with it.

    ``start`` must occur exactly once and ``end`` after it, so a fix that no longer applies
    fails the build instead of silently building the unfixed server.
    """

    path: str  # inside the module
    start: str
    end: str
    new: str
    why: str

    def apply(self, source: Path) -> None:
        file = source / self.path
        text = file.read_text()
        begin = text.find(self.start)
        finish = text.find(self.end, begin + len(self.start)) if begin >= 0 else -1
        if text.count(self.start) != 1 or finish < 0:
            raise StackError(
                f"source fix for {self.path} expects {self.start!r} once, then {self.end!r}: "
                "the pinned version changed; review deploy/local/src/conveyor_local/stack/"
                "jaeger_fixes.py"
            )
        file.chmod(file.stat().st_mode | stat.S_IWUSR)  # copied from Go's read-only module cache
        file.write_text(text[:begin] + self.new + text[finish:])


class GoServer(Server):
    """A server built once from its Go module at a pinned version, into .cache/bin.

    Not with ``go install module/cmd/x@version``: Jaeger's go.mod has replace directives, which
    go install refuses, and FerretDB's binary panics at start without a version file that its
    release process generates. So the pinned module is downloaded from the module proxy, copied
    to .cache/build and built there as the main module: its own go.mod, go.sum and replace
    directives apply, and the generated files it expects are added to the copy.
    """

    module: str
    pinned: str
    program: str  # the main package's directory inside the module
    generated_files: ClassVar[Mapping[str, str]] = {}  # path inside the module -> content
    source_fixes: ClassVar[tuple[SourceFix | SpanFix, ...]] = ()

    def version(self) -> str:
        if self.source_fixes:
            return f"{self.pinned} with {len(self.source_fixes)} source fix(es)"
        return self.pinned

    @property
    def binary(self) -> Path:
        # The fixes' digest is part of the name: changing a fix rebuilds the server.
        fixes = repr(self.source_fixes).encode()
        suffix = f"-fixed-{hashlib.sha256(fixes).hexdigest()[:8]}" if self.source_fixes else ""
        return BIN_DIR / f"{self.name}-{self.pinned}{suffix}"

    def installed(self) -> bool:
        return self.binary.is_file()

    def install(self) -> None:
        require_tool("go", "Go 1.24+ builds FerretDB and Jaeger from the Go module proxy")
        workdir = CACHE / "build"
        workdir.mkdir(parents=True, exist_ok=True)
        source = workdir / f"{self.name}-{self.pinned}"
        shutil.rmtree(source, ignore_errors=True)
        shutil.copytree(download_module(self.module, self.pinned, workdir), source)
        for relative, content in self.generated_files.items():
            (source / relative).write_text(content)
        for fix in self.source_fixes:
            fix.apply(source)
        partial = self.binary.with_name(self.binary.name + ".partial")  # not "installed" yet
        run_logged(
            ["go", "build", *BUILD_FLAGS, "-o", str(partial), f"./{self.program}"],
            what=f"building {self.name} {self.pinned} with Go",
            log=LOG_DIR / f"install-{self.name}.log",
            cwd=source,
            env=go_environment(),
        )
        partial.rename(self.binary)

    def owns(self, command_line: list[str]) -> bool:
        # Any pinned version, so that `down` also stops one built before the pin changed.
        return bool(command_line) and command_line[0].startswith(str(BIN_DIR / f"{self.name}-"))


def download_module(module: str, version: str, workdir: Path) -> Path:
    """Fetch ``module@version`` into Go's module cache; returns its directory there."""
    downloaded = subprocess.run(
        ["go", "mod", "download", "-json", f"{module}@{version}"],
        cwd=workdir,
        env=go_environment(),
        capture_output=True,
        text=True,
    )
    if downloaded.returncode != 0:
        raise StackError(
            f"downloading {module}@{version} with Go failed:\n"
            f"{downloaded.stdout}{downloaded.stderr}"
        )
    return Path(json.loads(downloaded.stdout)["Dir"])


def go_environment() -> dict[str, str]:
    """Go's module and build caches inside .cache, writable so that `rm -rf .cache` works."""
    go = CACHE / "go"
    return {
        **os.environ,
        "GOMODCACHE": str(go / "mod"),
        "GOCACHE": str(go / "build"),
        "GOPATH": str(go / "path"),
        "GOFLAGS": f"{os.environ.get('GOFLAGS', '')} -modcacherw".strip(),
    }
