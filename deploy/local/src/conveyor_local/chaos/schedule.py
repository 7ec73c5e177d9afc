"""A seed's schedule of faults: which kinds, on whom, when and for how long, drawn from the seed
alone so that a failing seed replays the same faults."""

import random
from collections.abc import Sequence
from dataclasses import dataclass

from conveyor_local.chaos.cluster import BROKERS
from conveyor_local.mesh import SERVICES

FAULT_KINDS = (
    "kill_service",  # SIGKILL one instance, start it again
    "kill_broker",  # SIGKILL one Kafka broker, start it again
    "pause_database",  # SIGSTOP the database for 10-20 s, then SIGCONT
    "pause_consumer",  # SIGSTOP one instance past its consumer session timeout
    "rolling_restart",  # SIGTERM and start every instance, one at a time
    "rewind_group",  # stop a service, rewind its group to the start, start it again
)
SESSION_TIMEOUT = 10.0  # seconds: aiokafka's default, which the services keep


@dataclass(frozen=True)
class Fault:
    """One planned fault: what, on whom, when (seconds after the orders start) and how long
    the target stays down or frozen."""

    kind: str
    target: str
    at: float
    hold: float

    def describe(self) -> str:
        hold = f" for {self.hold:.1f} s" if self.hold else ""
        return f"{self.kind} {self.target}{hold}"


def plan(seed: int, kinds: Sequence[str], instances: int) -> list[Fault]:
    """The seed's schedule: ``kinds`` in order, each with a target, a start and a hold drawn
    from the seed alone, so that a failing seed replays the same faults."""
    draw = random.Random(seed)
    names = [
        service if number == 1 else f"{service}-{number}"
        for service in SERVICES
        for number in range(1, instances + 1)
    ]
    faults, at = [], draw.uniform(5.0, 10.0)
    for kind in kinds:
        target, hold = _target_and_hold(kind, draw, names)
        faults.append(Fault(kind, target, round(at, 1), round(hold, 1)))
        at += hold + draw.uniform(4.0, 10.0)
    return faults


def _target_and_hold(kind: str, draw: random.Random, instances: list[str]) -> tuple[str, float]:
    if kind == "kill_service":
        return draw.choice(instances), draw.uniform(0.0, 5.0)
    if kind == "pause_consumer":
        # Past the session timeout the broker drops the member: a rebalance.
        return draw.choice(instances), SESSION_TIMEOUT + draw.uniform(3.0, 8.0)
    if kind == "kill_broker":
        return f"kafka-{draw.randint(1, BROKERS)}", draw.uniform(3.0, 10.0)
    if kind == "pause_database":
        return "ferretdb", draw.uniform(10.0, 20.0)
    if kind == "rewind_group":
        return draw.choice(SERVICES), 0.0
    return "every instance", 0.0  # rolling_restart


def kinds_for(seed: int, *, every_kind: bool, faults: int) -> list[str]:
    """Every kind once in a seeded order (the short run), or ``faults`` kinds drawn with
    replacement (the full run, where twenty seeds cover each kind many times)."""
    draw = random.Random(f"kinds-{seed}")
    if every_kind:
        return draw.sample(FAULT_KINDS, len(FAULT_KINDS))
    return [draw.choice(FAULT_KINDS) for _ in range(faults)]
