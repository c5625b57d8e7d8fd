"""mentoring selectors."""
