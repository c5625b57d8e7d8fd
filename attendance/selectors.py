"""attendance selectors."""
