"""Fixtures for every tier: real servers and per-test namespaces (conveyor_testkit)."""

from hypothesis import settings

# Property tests assert behaviour, not speed: on a shared two-core machine a first example can
# take longer than hypothesis's default 200 ms deadline without anything being wrong.
settings.register_profile("conveyor", deadline=None)
settings.load_profile("conveyor")

pytest_plugins = ["conveyor_testkit.plugin"]
