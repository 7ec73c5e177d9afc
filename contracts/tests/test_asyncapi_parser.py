"""The committed AsyncAPI document passes the official parser (@asyncapi/parser, pinned in
contracts/asyncapi-check), and the parser would catch a broken one.

Needs Node.js 20+ and npm: without them these tests fail (they never skip), since CI must not
pass without having checked the document. The parser is installed by ``npm ci`` from the
committed lock into the repository's ``.cache``, once per change of the package files.
"""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conveyor_contracts import handoff, snapshots


@pytest.fixture(scope="module")
def checker() -> Path:
    try:
        return handoff.installed_checker()
    except handoff.ToolMissingError as error:
        pytest.fail(f"cannot check the AsyncAPI document: {error}", pytrace=False)


def _lines(output: str, severity: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(f"{severity} ")]


def test_the_committed_document_parses_without_an_error_or_a_warning(checker: Path) -> None:
    done = handoff.parse_document(snapshots.ASYNCAPI_PATH, checker)
    assert done.returncode == 0, done.stdout + done.stderr
    # Warnings do not fail the parser, but each one is something a partner's tool may trip on.
    assert _lines(done.stdout, "warning") == []


def test_the_parser_rejects_a_broken_document_and_says_where(checker: Path, tmp_path: Path) -> None:
    document: dict[str, Any] = json.loads(snapshots.ASYNCAPI_PATH.read_text(encoding="utf-8"))
    operations = document["operations"]
    sender, receiver = "checkout.send.checkout.orders.v1", "orders.receive.checkout.orders.v1"
    operations[sender]["channel"] = {"$ref": "#/channels/no.such.topic.v1"}
    del operations[receiver]["action"]
    broken = tmp_path / "asyncapi.json"
    broken.write_text(json.dumps(document), encoding="utf-8")

    done = handoff.parse_document(broken, checker)
    assert done.returncode == 1, done.stdout + done.stderr
    errors = "\n".join(_lines(done.stdout, "error"))
    assert "#/channels/no.such.topic.v1" in errors
    assert f"operations/{receiver}" in errors
    assert '"action"' in errors


def test_the_parser_rejects_what_is_not_an_asyncapi_document(checker: Path, tmp_path: Path) -> None:
    not_asyncapi = tmp_path / "openapi.json"
    not_asyncapi.write_text(json.dumps({"openapi": "3.1.0", "info": {}}), encoding="utf-8")
    done = handoff.parse_document(not_asyncapi, checker)
    assert done.returncode == 1
    assert _lines(done.stdout, "error")


def test_a_machine_without_node_is_told_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda tool: None)
    with pytest.raises(handoff.ToolMissingError, match=r"'node' is not on PATH.*Node\.js 20"):
        handoff.installed_checker()
