"""jobs selectors."""
