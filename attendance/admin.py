"""attendance admin."""
