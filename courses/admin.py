"""courses admin."""
