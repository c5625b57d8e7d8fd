"""attendance services."""
