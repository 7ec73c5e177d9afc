"""The committed JSON Schema snapshots and AsyncAPI document match the code."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conveyor_contracts import snapshots
from conveyor_contracts.schema import event_schemas
from conveyor_contracts.topics import TOPICS

REGENERATE = "run `make contracts` and commit contracts/schemas and contracts/asyncapi.json"


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    from conveyor_contracts._asyncapi import asyncapi_document

    return asyncapi_document()


def test_the_committed_snapshots_match_the_models_and_nothing_broke() -> None:
    committed = snapshots.committed_snapshots(snapshots.SNAPSHOT_DIR)
    current = event_schemas()
    breaking = snapshots.breaking_report(committed, current)
    assert not breaking, (
        "Breaking change to a v1 contract; within v1 only optional fields may be added. Keep the "
        "v1 class as it is and add a v2 event/topic instead:\n  " + "\n  ".join(breaking)
    )
    drifted = sorted(name for name in current if committed.get(name) != current[name])
    assert not drifted, f"Snapshots are out of date for {drifted} (compatible change): {REGENERATE}"


def test_snapshot_files_are_deterministically_formatted() -> None:
    for path in sorted(snapshots.SNAPSHOT_DIR.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        assert text == snapshots.render(json.loads(text)), (
            f"{path.name} is hand-edited: {REGENERATE}"
        )


def test_the_committed_asyncapi_document_matches_the_registry(asyncapi: dict[str, Any]) -> None:
    committed = json.loads(snapshots.ASYNCAPI_PATH.read_text(encoding="utf-8"))
    if committed != asyncapi:  # pytest.fail: a diff of two 300 kB documents helps nobody
        pytest.fail(f"contracts/asyncapi.json is out of date: {REGENERATE}")


def test_the_asyncapi_document_has_an_operation_per_producer_and_consumer_of_each_topic(
    asyncapi: dict[str, Any],
) -> None:
    operations = asyncapi["operations"]
    for spec in TOPICS:
        assert operations[f"{spec.producer.replace(':', '-')}.send.{spec.name}"]["action"] == "send"
        for consumer in spec.consumers:
            operation = operations[f"{consumer.replace(':', '-')}.receive.{spec.name}"]
            assert operation["channel"] == {"$ref": f"#/channels/{spec.name}"}
        assert spec.dead_letter in asyncapi["channels"][spec.name]["description"]
    assert "OrderPlaced" in asyncapi["components"]["schemas"]


def test_importing_the_contracts_does_not_import_faststream() -> None:
    modules = (
        "checkout orders inventory stock warehouse shipping carriers support topics schema "
        "snapshots privacy headers examples _asyncapi handoff"
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules.split()!r}: importlib.import_module('conveyor_contracts.' + name)\n"
        "assert 'faststream' not in sys.modules, 'faststream imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_regenerating_refuses_to_overwrite_a_breaking_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshots, "SNAPSHOT_DIR", tmp_path / "v1")
    monkeypatch.setattr(snapshots, "ASYNCAPI_PATH", tmp_path / "asyncapi.json")
    assert snapshots.main([]) == 0
    assert len(list((tmp_path / "v1").glob("*.json"))) == len(event_schemas())
    assert (tmp_path / "asyncapi.json").exists()

    tampered = tmp_path / "v1" / "OrderPlaced.json"
    schema = json.loads(tampered.read_text(encoding="utf-8"))
    schema["properties"]["legacy_field"] = {"type": "string"}  # as if the model had dropped it
    tampered.write_text(snapshots.render(schema), encoding="utf-8")
    assert snapshots.main([]) == 1
    assert "legacy_field" in tampered.read_text(encoding="utf-8")

    assert snapshots.main(["--accept-breaking"]) == 0
    assert "legacy_field" not in tampered.read_text(encoding="utf-8")
