"""courses services."""
