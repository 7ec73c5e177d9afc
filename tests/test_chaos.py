"""`make chaos`: the seeded fault schedule, and its short run against the real servers (three
brokers, two instances of every service, every kind of fault once, the auditor after)."""

import asyncio
import itertools
import json
import sys
from pathlib import Path

import pytest

from conveyor_local.chaos.schedule import FAULT_KINDS, SESSION_TIMEOUT, Fault, kinds_for, plan
from conveyor_testkit import repository_root


def test_the_same_seed_plans_the_same_schedule_and_another_seed_another() -> None:
    def schedule(seed: int) -> list[Fault]:
        return plan(seed, kinds_for(seed, every_kind=False, faults=6), instances=2)

    assert schedule(13) == schedule(13)
    assert schedule(13) != schedule(14)


def test_the_short_schedule_has_every_kind_of_fault_once_one_after_the_other() -> None:
    faults = plan(1, kinds_for(1, every_kind=True, faults=0), instances=2)

    assert sorted(fault.kind for fault in faults) == sorted(FAULT_KINDS)
    starts = [fault.at for fault in faults]
    assert starts == sorted(starts)
    for earlier, later in itertools.pairwise(faults):
        assert later.at >= earlier.at + earlier.hold


def test_holds_are_in_the_ranges_the_faults_are_defined_by() -> None:
    faults = [
        fault
        for seed in range(50)
        for fault in plan(seed, kinds_for(seed, every_kind=True, faults=0), 2)
    ]
    for fault in faults:
        if fault.kind == "pause_database":
            assert 10.0 <= fault.hold <= 20.0
        elif fault.kind == "pause_consumer":
            assert fault.hold > SESSION_TIMEOUT  # past it: the member is dropped
        elif fault.kind == "kill_broker":
            assert fault.target in {"kafka-1", "kafka-2", "kafka-3"}
    targets = {fault.target for fault in faults if fault.kind == "kill_service"}
    assert {"orders", "orders-2", "support-2"} <= targets  # every instance can be hit


# Its own stack of three brokers starts first, then 40 orders under six faults whose holds are
# the point (a database paused 10-20 s, a consumer paused past its 10 s session timeout, each
# fault followed by 4-10 s of recovery): 186 s here, so beyond the suite's 300 s default only on
# a busy machine. The run's own deadline (--timeout) says when it is stuck: twice what it takes.
@pytest.mark.timeout(540)
async def test_the_short_chaos_run_survives_every_kind_of_fault(tmp_path: Path) -> None:
    root = repository_root()
    run = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "conveyor_local.chaos",
        "--short",
        "--timeout",
        "360",
        "--reports",
        str(tmp_path),
        cwd=root,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(run.communicate(), timeout=480)
    text = output.decode(errors="replace")
    assert run.returncode == 0, text[-6000:]

    report = json.loads((tmp_path / "seed-1.json").read_text())
    assert report["problems"] == []
    assert sorted(fault["kind"] for fault in report["faults"]) == sorted(FAULT_KINDS)
    by_kind = {fault["kind"]: fault for fault in report["faults"]}
    assert by_kind["kill_broker"]["isr_restored_s"] >= 0
    assert by_kind["pause_consumer"]["member_dropped_s"] is not None  # the rebalance happened
    assert by_kind["rewind_group"]["redelivered"] > 0  # the mass redelivery happened
    invariants = report["audit"]["invariants"]
    assert invariants
    assert all(invariant["held"] for invariant in invariants)
    assert report["recovery_seconds"] is not None
    assert "seed 1: PASSED" in text
