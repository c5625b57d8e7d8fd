"""jobs admin."""
