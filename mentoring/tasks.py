"""mentoring tasks."""
