"""Outside clients of the Conveyor mesh (a shop checkout, the carriers), built only on contracts."""
