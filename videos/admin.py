"""videos admin."""
