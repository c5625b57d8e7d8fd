"""credits tasks."""
