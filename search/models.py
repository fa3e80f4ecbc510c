"""search models (filled in by its issue)."""
