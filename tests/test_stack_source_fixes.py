"""The local stack's source fixes to a pinned server: applied exactly, or the build stops."""

from pathlib import Path

import pytest

from conveyor_local.stack.ferretdb import FerretDB
from conveyor_local.stack.go_build import SourceFix, SpanFix
from conveyor_local.stack.jaeger import Jaeger
from conveyor_local.stack.jaeger_fixes import JAEGER_FIXES
from conveyor_local.stack.settings import Settings, StackError


def test_a_fix_replaces_exactly_the_expected_occurrences_of_a_read_only_file(
    tmp_path: Path,
) -> None:
    source = tmp_path / "collection.go"
    source.write_text("if a == 1 {\n}\nif a == 1 {\n}\n")
    source.chmod(0o444)  # as in Go's module cache
    fix = SourceFix("collection.go", old="a == 1", new="a > 0", why="test", count=2)
    fix.apply(tmp_path)
    assert source.read_text() == "if a > 0 {\n}\nif a > 0 {\n}\n"


def test_a_fix_that_no_longer_matches_stops_the_build(tmp_path: Path) -> None:
    (tmp_path / "metadata.go").write_text("IDColumn = DefaultColumn + \"->'_id'\"\n")
    fix = SourceFix("metadata.go", old="->'$._id'", new="->'_id'", why="test")
    with pytest.raises(StackError, match="found 0"):
        fix.apply(tmp_path)


def test_the_ferretdb_build_names_its_fixes_and_their_reasons() -> None:
    ferretdb = FerretDB(Settings())
    assert len(ferretdb.source_fixes) == 17
    assert all(len(fix.why) > 80 for fix in ferretdb.source_fixes)
    # Changing a fix changes the binary's name, so the server is rebuilt.
    assert ferretdb.binary.name.startswith("ferretdb-v1.24.2-fixed-")


def test_a_span_fix_replaces_the_text_between_its_markers_or_stops_the_build(
    tmp_path: Path,
) -> None:
    source = tmp_path / "components.go"
    source.write_text('import (\n\t"a"\n\t"b"\n)\n\ntype builders struct {}\n')
    source.chmod(0o444)
    fix = SpanFix(
        "components.go", start="import (\n", end="\ntype builders", new="import ()\n", why="t"
    )
    fix.apply(tmp_path)
    assert source.read_text() == "import ()\n\ntype builders struct {}\n"
    with pytest.raises(StackError, match="the pinned version changed"):
        fix.apply(tmp_path)  # "import (\n" is gone


def test_jaeger_is_built_with_only_what_its_configuration_names() -> None:
    jaeger = Jaeger(Settings())
    assert jaeger.version() == f"v1.75.0 with {len(JAEGER_FIXES)} source fix(es)"
    assert jaeger.binary.name.startswith("jaeger-v1.75.0-fixed-")
    assert all(fix.why for fix in JAEGER_FIXES)
