"""courses selectors."""
