"""Conveyor inventory service."""
