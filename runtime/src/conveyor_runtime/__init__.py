"""Service defaults shared by every Conveyor service."""
