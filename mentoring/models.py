"""mentoring models."""
