"""credits selectors."""
