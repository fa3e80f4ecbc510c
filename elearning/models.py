"""elearning models (filled in by its issue)."""
