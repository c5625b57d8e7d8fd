"""attendance tasks."""
