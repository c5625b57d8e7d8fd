"""videos models."""
