"""Conveyor shipping service."""
