"""videos tasks."""
