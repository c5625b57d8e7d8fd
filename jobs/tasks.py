"""jobs tasks."""
