"""The contracts wheel, as partners install it: built here (so CI builds it on every run), it
carries the JSON Schemas, the AsyncAPI document and ``py.typed``, and installs and imports on
each Python it declares.

Python 3.12 and 3.13 are used when this machine has them (``uv python find``, else pyenv);
without one, the test still proves uv resolves the wheel and its dependencies for that version.
"""

import importlib.metadata
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conveyor_contracts import snapshots
from conveyor_contracts.schema import event_schemas

REPOSITORY = snapshots.CONTRACTS_DIR.parent
PYTHONS = ("3.11", "3.12", "3.13")  # the classifiers of contracts/pyproject.toml
# The wheel's dependencies, pinned to what the workspace's lock installed here.
DEPENDENCIES = (
    "pydantic",
    "pydantic-core",
    "tzdata",
    "typing-extensions",
    "annotated-types",
    "typing-inspection",
)
# Run inside the installed wheel: everything imports, the package data is there, and the models
# give the same schemas and document on this Python as the committed ones.
INSIDE = """
import importlib, json, pkgutil, sys
from importlib.resources import files
import conveyor_contracts
from conveyor_contracts._asyncapi import asyncapi_document
from conveyor_contracts.schema import event_schemas
assert "site-packages" in conveyor_contracts.__file__, conveyor_contracts.__file__
for module in pkgutil.walk_packages(conveyor_contracts.__path__, "conveyor_contracts."):
    importlib.import_module(module.name)
data = files("conveyor_contracts")
assert data.joinpath("py.typed").is_file()
for name, schema in event_schemas().items():
    assert json.loads(data.joinpath("schemas", "v1", name + ".json").read_text()) == schema, name
assert json.loads(data.joinpath("asyncapi.json").read_text()) == asyncapi_document()
sys.stdout.write("%d.%d" % sys.version_info[:2])
"""


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")  # ``uv run`` names itself in UV
    if uv is None:
        pytest.fail("uv not found (run the tests with `uv run`, or put uv on PATH)", pytrace=False)
    return uv


def _run(*args: str | Path, cwd: Path = REPOSITORY) -> str:
    done = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _cached(*args: str | Path, cwd: Path) -> str:
    """A uv command from uv's cache (a second), from the index only when the cache is cold."""
    command = [_uv(), *map(str, args)]
    offline = subprocess.run([*command, "--offline"], cwd=cwd, capture_output=True, text=True)
    return offline.stdout if offline.returncode == 0 else _run(*command, cwd=cwd)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run(_uv(), "build", "--package", "conveyor-contracts", "--wheel", "-o", out)
    (built,) = out.glob("conveyor_contracts-*-py3-none-any.whl")
    return built


def test_the_wheel_carries_the_schemas_the_document_and_py_typed(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    schemas = {name for name in names if name.startswith("conveyor_contracts/schemas/v1/")}
    assert schemas == {f"conveyor_contracts/schemas/v1/{name}.json" for name in event_schemas()}
    assert {"conveyor_contracts/py.typed", "conveyor_contracts/asyncapi.json"} <= names
    # The commands writing into this repository's tree are not for an installed package.
    assert not {"conveyor_contracts/snapshots.py", "conveyor_contracts/handoff.py"} & names
    metadata = zipfile.ZipFile(wheel).read(
        f"conveyor_contracts-{importlib.metadata.version('conveyor-contracts')}.dist-info/METADATA"
    )
    assert b"Requires-Python: >=3.11\n" in metadata
    for python in PYTHONS:
        assert f"Programming Language :: Python :: {python}\n".encode() in metadata


def _interpreter(python: str) -> str | None:
    """A Python ``python`` interpreter on this machine, or None."""
    if python == f"{sys.version_info.major}.{sys.version_info.minor}":
        return sys.executable
    found = subprocess.run([_uv(), "python", "find", python], capture_output=True, text=True)
    if found.returncode == 0:
        return found.stdout.strip()
    if shutil.which("pyenv") is not None:  # installed by pyenv but not the active version
        latest = subprocess.run(["pyenv", "latest", python], capture_output=True, text=True)
        if latest.returncode == 0:
            prefix = _run("pyenv", "prefix", latest.stdout.strip()).strip()
            candidate = Path(prefix) / "bin" / f"python{python}"
            if candidate.exists():
                return str(candidate)
    return None


@pytest.mark.parametrize("python", PYTHONS)
def test_the_wheel_resolves_and_where_python_exists_installs_and_imports(
    wheel: Path, python: str, tmp_path: Path
) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(
        "".join(f"{name}=={importlib.metadata.version(name)}\n" for name in DEPENDENCIES)
    )
    requirement = tmp_path / "requirements.in"
    requirement.write_text(f"conveyor-contracts @ {wheel.as_uri()}\n")
    resolved = _cached(
        "pip", "compile", "--quiet", "--no-header", "--python-version", python,
        "--constraints", constraints, requirement, cwd=tmp_path,
    )  # fmt: skip
    assert "pydantic==" in resolved
    assert "tzdata==" in resolved

    interpreter = _interpreter(python)
    if interpreter is None:
        return  # resolution is what can be proven without the interpreter
    venv = tmp_path / "venv"
    _run(_uv(), "venv", "--quiet", "--python", interpreter, venv, cwd=tmp_path)
    installed = venv / "bin" / "python"
    _cached(
        "pip", "install", "--quiet", "--python", installed, "--constraints", constraints, wheel,
        cwd=tmp_path,
    )  # fmt: skip
    assert _run(installed, "-I", "-c", INSIDE, cwd=tmp_path) == python
