"""Conveyor wire contracts: event models, topic registry, schema snapshots. Data only, no I/O."""
