"""videos services."""
