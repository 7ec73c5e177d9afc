"""``make contracts``: write the JSON Schema snapshots and the AsyncAPI document.

Snapshots live in ``contracts/schemas/v1/<EventName>.json``, one per event, and are committed: the
tests compare them with the models and fail on drift. The command refuses to overwrite a
snapshot with a breaking change (it would hide the break) unless ``--accept-breaking`` is given,
which is only right before a contract is first released or when the old class is retired after
its v2 replacement.

A development command of this repository (it writes into the source tree), so the wheel leaves
it out; the wheel carries the snapshots and the document themselves.
"""

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from conveyor_contracts._asyncapi import asyncapi_document
from conveyor_contracts.schema import Schema, breaking_changes, event_schemas

# src/conveyor_contracts/snapshots.py -> contracts/ (the workspace member's folder).
CONTRACTS_DIR = Path(__file__).resolve().parents[2]
SNAPSHOT_DIR = CONTRACTS_DIR / "schemas" / "v1"
ASYNCAPI_PATH = CONTRACTS_DIR / "asyncapi.json"


def render(document: Mapping[str, Any]) -> str:
    """Deterministic JSON text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def committed_snapshots(directory: Path) -> dict[str, Schema]:
    """The snapshots on disk, by event name."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.json"))
    }


def breaking_report(committed: Mapping[str, Schema], current: Mapping[str, Schema]) -> list[str]:
    """Breaking changes from the committed snapshots to the current models, event by event.

    Args:
        committed: Snapshots by event name.
        current: Current schemas by event name (``event_schemas()``).

    Returns:
        Sentences such as ``"OrderPlaced $.lines: field removed"``; new events are not breaking.
    """
    report: list[str] = []
    for name, old in sorted(committed.items()):
        if name not in current:
            report.append(f"{name}: event removed")
        else:
            report.extend(f"{name} {problem}" for problem in breaking_changes(old, current[name]))
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Write every snapshot and the AsyncAPI document; exit 1 on an unaccepted breaking change."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accept-breaking", action="store_true", help="overwrite breaking changes")
    args = parser.parse_args(argv)
    current = event_schemas()
    committed = committed_snapshots(SNAPSHOT_DIR)
    report = breaking_report(committed, current)
    if report and not args.accept_breaking:
        sys.stderr.write("Breaking contract changes (add a v2 event/topic instead):\n")
        sys.stderr.writelines(f"  {line}\n" for line in report)
        return 1
    SNAPSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for name in committed.keys() - current.keys():
        (SNAPSHOT_DIR / f"{name}.json").unlink()
    for name, schema in current.items():
        (SNAPSHOT_DIR / f"{name}.json").write_text(render(schema), encoding="utf-8")
    ASYNCAPI_PATH.write_text(render(asyncapi_document()), encoding="utf-8")
    sys.stdout.write(f"wrote {len(current)} snapshots to {SNAPSHOT_DIR} and {ASYNCAPI_PATH}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
