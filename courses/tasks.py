"""courses tasks."""
