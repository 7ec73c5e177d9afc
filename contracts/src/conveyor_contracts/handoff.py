"""``make docs``: the folder handed to carriers and the checkout team, and the parser check.

The folder holds the committed AsyncAPI document and JSON Schemas (refused when they drifted
from the models: run ``make contracts`` first), an ``index.html`` that renders the document
offline with AsyncAPI's own viewer (``@asyncapi/react-component``, its pinned tarball checked
against its integrity hash), and a README. Before writing, the document is parsed with the
official AsyncAPI parser (``contracts/asyncapi-check``, installed by ``npm ci`` from its
committed lock into the repository's ``.cache``), which the contract tests run too.

A development command of this repository (it reads the source tree), so the wheel leaves it out.
"""

import argparse
import base64
import fcntl
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conveyor_contracts import snapshots
from conveyor_contracts._asyncapi import asyncapi_document
from conveyor_contracts.schema import event_schemas
from conveyor_contracts.topics import TOPICS

CHECK_SOURCE = snapshots.CONTRACTS_DIR / "asyncapi-check"
CACHE = snapshots.CONTRACTS_DIR.parent / ".cache"  # the repository's cache, never committed
CHECK_FILES = ("package.json", "package-lock.json", "check.mjs")
NODE_MAJOR = 20
VIEWER = "@asyncapi/react-component@3.2.1"
# npm's integrity of the tarball (as in the registry's metadata): the download is checked.
VIEWER_INTEGRITY = (
    "sha512-k5ZqJd6+oxYaQ2o6F3rGWJ1MTIjXdpsUYB3NKQbVqr4yzrN0"
    "Ovj5c7eZx8NGd3wfKPhbOrLREtYl9K2OPfnSsA=="
)
# Tarball member -> file in the hand-off's viewer/ folder.
VIEWER_FILES = {
    "package/browser/standalone/index.js": "index.js",
    "package/browser/standalone/index.js.LICENSE.txt": "index.js.LICENSE.txt",
    "package/styles/default.min.css": "default.min.css",
    "package/LICENSE": "LICENSE",
}


class ToolMissingError(RuntimeError):
    """Node.js or npm is not installed (or too old) on this machine."""


def require_node() -> None:
    """Raise unless ``node`` (NODE_MAJOR or newer) and ``npm`` are on PATH."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise ToolMissingError(
                f"'{tool}' is not on PATH: the AsyncAPI check needs Node.js {NODE_MAJOR}+ and npm"
            )
    found = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    major = int(re.sub(r"^v(\d+).*", r"\1", found.stdout.strip()))
    if major < NODE_MAJOR:
        raise ToolMissingError(f"node {found.stdout.strip()} is too old: {NODE_MAJOR}+ needed")


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    # Two test runs (or a test run and make docs) may install into the same cache at once.
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _npm(*args: str, cwd: Path) -> str:
    done = subprocess.run(["npm", *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"npm {' '.join(args)} failed in {cwd}:\n{done.stderr[-4000:]}")
    return done.stdout


def installed_checker(cache: Path = CACHE / "asyncapi-check") -> Path:
    """The parser check, installed by ``npm ci`` from the committed lock (again only when the
    package files change); returns its folder.

    Raises:
        ToolMissingError: No node or npm.
        RuntimeError: ``npm ci`` failed.
    """
    require_node()
    with _locked(cache):
        digest = hashlib.sha256()
        for name in CHECK_FILES:
            shutil.copyfile(CHECK_SOURCE / name, cache / name)
            digest.update((CHECK_SOURCE / name).read_bytes())
        stamp = cache / "node_modules" / ".conveyor-installed"
        if not stamp.exists() or stamp.read_text() != digest.hexdigest():
            _npm("ci", "--ignore-scripts", "--no-audit", "--no-fund", cwd=cache)
            stamp.write_text(digest.hexdigest())
    return cache


def parse_document(path: Path, checker: Path) -> subprocess.CompletedProcess[str]:
    """Run the official parser on ``path``: exit 0, or 1 with every error listed on stdout."""
    return subprocess.run(
        ["node", "check.mjs", str(path.resolve())],
        cwd=checker,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def viewer(cache: Path = CACHE / "asyncapi-viewer") -> Path:
    """AsyncAPI's standalone viewer, from its pinned npm tarball (checked), once."""
    folder = cache / VIEWER.rsplit("@", 1)[1]
    with _locked(cache):
        if all((folder / name).exists() for name in VIEWER_FILES.values()):
            return folder
        require_node()
        packed = json.loads(_npm("pack", VIEWER, "--json", "--pack-destination", ".", cwd=cache))
        tarball = (cache / packed[0]["filename"]).read_bytes()
        if _integrity(tarball) != VIEWER_INTEGRITY:
            raise RuntimeError(f"{VIEWER}: the tarball does not match its pinned integrity")
        folder.mkdir(exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            for member, name in VIEWER_FILES.items():
                extracted = archive.extractfile(member)
                if extracted is None:
                    raise RuntimeError(f"{VIEWER}: {member} is missing from the tarball")
                (folder / name).write_bytes(extracted.read())
    return folder


def html_page(document: dict[str, Any]) -> str:
    """A page rendering ``document`` with the viewer in ``viewer/``: no network needed."""
    config = {"show": {"sidebar": True}, "expand": {"messageExamples": True}}
    # Inside <script>, "</" would end the element: JSON allows writing it "<\/".
    props = json.dumps({"schema": document, "config": config}).replace("</", "<\\/")
    title = f"{document['info']['title']} {document['info']['version']}"
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>{title} (AsyncAPI)</title>
    <link rel="stylesheet" href="viewer/default.min.css">
  </head>
  <body>
    <div id="asyncapi"></div>
    <script src="viewer/index.js"></script>
    <script>
      AsyncApiStandalone.render({props}, document.getElementById("asyncapi"));
    </script>
  </body>
</html>
"""


def readme(document: dict[str, Any]) -> str:
    """The hand-off's README: what is in the folder, and every topic in one table."""
    rows = [
        f"| `{spec.name}` | `{spec.key}` | {spec.producer} | {', '.join(spec.consumers)} | "
        f"{', '.join(event.__name__ for event in spec.events)} |"
        for spec in TOPICS
    ]
    return "\n".join(
        [
            f"# {document['info']['title']}, contracts {document['info']['version']}",
            "",
            "- `asyncapi.json`: the AsyncAPI 3.0 document (topics, messages with examples,",
            "  keys, headers, dead-letter topics, servers, SASL/SCRAM and each principal's ACLs).",
            "- `index.html`: the same document rendered; opens offline (`viewer/` is AsyncAPI's",
            "  own viewer, `@asyncapi/react-component`, Apache-2.0).",
            "- `schemas/v1/<Event>.json`: the JSON Schema (draft 2020-12) of every message.",
            "- `python/`: the `conveyor-contracts` wheel (Python 3.11+), the same models in",
            "  Pydantic: `carrier_requests_topic('<code>').adapter.validate_json(raw)`.",
            "",
            "Each topic has a dead-letter companion `<topic>.dlq` that only operators read.",
            "",
            "| topic | key | producer | consumers | messages |",
            "|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def drift() -> list[str]:
    """What in the committed document and snapshots differs from the models."""
    committed = snapshots.committed_snapshots(snapshots.SNAPSHOT_DIR)
    stale = sorted(name for name, s in event_schemas().items() if committed.get(name) != s)
    if json.loads(snapshots.ASYNCAPI_PATH.read_text(encoding="utf-8")) != asyncapi_document():
        stale.append(snapshots.ASYNCAPI_PATH.name)
    return stale


def write_handoff(out: Path) -> None:
    """Check, then write the hand-off folder ``out`` (its earlier content replaced)."""
    stale = drift()
    if stale:
        raise RuntimeError(f"out of date, run `make contracts` and commit first: {stale}")
    checked = parse_document(snapshots.ASYNCAPI_PATH, installed_checker())
    if checked.returncode != 0:
        raise RuntimeError(f"the AsyncAPI parser rejects the document:\n{checked.stdout}")
    document = json.loads(snapshots.ASYNCAPI_PATH.read_text(encoding="utf-8"))
    for name in ("schemas", "viewer", "python"):
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(snapshots.ASYNCAPI_PATH, out / "asyncapi.json")
    shutil.copytree(snapshots.SNAPSHOT_DIR, out / "schemas" / "v1")
    shutil.copytree(viewer(), out / "viewer")
    (out / "index.html").write_text(html_page(document), encoding="utf-8")
    (out / "README.md").write_text(readme(document), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Write the hand-off folder; exit 1 with the reason when the document is not fit."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="folder to write (created)")
    args = parser.parse_args(argv)
    try:
        write_handoff(args.out)
    except (ToolMissingError, RuntimeError) as error:
        sys.stderr.write(f"{error}\n")
        return 1
    sys.stdout.write(f"wrote the contracts hand-off to {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
