"""Conveyor support service."""
