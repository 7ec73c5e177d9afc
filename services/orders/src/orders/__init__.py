"""Conveyor orders service."""
