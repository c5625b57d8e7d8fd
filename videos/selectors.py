"""videos selectors."""
