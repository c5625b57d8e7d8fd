"""courses models."""
