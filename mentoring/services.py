"""mentoring services."""
