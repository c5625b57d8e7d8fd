"""jobs services."""
