"""jobs models."""
