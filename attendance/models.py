"""attendance models."""
