"""Inventory's pure rules: warehouses, stock levels and allocation, with no I/O."""
