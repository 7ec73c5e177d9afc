"""Fixtures for every tier: real servers and per-test namespaces (conveyor_runtime.testing)."""

pytest_plugins = ["conveyor_runtime.testing"]
