"""mentoring admin."""
