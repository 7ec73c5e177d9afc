"""``make docs`` writes the partners' hand-off folder, only from an up-to-date, parsed document.

Needs Node.js and npm like the parser tests (the viewer's tarball is fetched once into .cache).
"""

import json
from pathlib import Path
from typing import Any

import pytest

from conveyor_contracts import handoff, snapshots
from conveyor_contracts.topics import TOPICS


def _committed() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(snapshots.ASYNCAPI_PATH.read_text(encoding="utf-8"))
    return document


def test_the_hand_off_holds_the_document_the_schemas_a_page_and_its_viewer(
    tmp_path: Path,
) -> None:
    out = tmp_path / "handoff"
    try:
        handoff.write_handoff(out)
    except handoff.ToolMissingError as error:
        pytest.fail(f"cannot write the hand-off: {error}", pytrace=False)
    assert json.loads((out / "asyncapi.json").read_text(encoding="utf-8")) == _committed()
    assert sorted(path.name for path in (out / "schemas" / "v1").iterdir()) == sorted(
        path.name for path in snapshots.SNAPSHOT_DIR.iterdir()
    )
    assert b"AsyncApiStandalone" in (out / "viewer" / "index.js").read_bytes()
    assert (out / "viewer" / "LICENSE").exists()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'src="viewer/index.js"' in page
    assert "https://" not in page.split("<script>")[0]  # nothing fetched from elsewhere
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert all(f"`{spec.name}`" in readme for spec in TOPICS)


def test_the_page_cannot_be_cut_short_by_text_inside_the_document() -> None:
    document = _committed()
    document["info"]["description"] = "ends </script><script>alert(1)</script>"
    page = handoff.html_page(document)
    assert page.count("</script>") == 2  # the viewer's tag and the render call's, nothing else


def test_a_document_that_drifted_from_the_models_is_not_handed_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = _committed()
    stale["info"]["version"] = "0.0.0"
    path = tmp_path / "asyncapi.json"
    path.write_text(snapshots.render(stale), encoding="utf-8")
    monkeypatch.setattr(snapshots, "ASYNCAPI_PATH", path)
    with pytest.raises(RuntimeError, match="make contracts"):
        handoff.write_handoff(tmp_path / "handoff")
    assert not (tmp_path / "handoff").exists()
