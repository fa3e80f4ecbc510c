"""Preference and content-team assessment reports over the engagement roll-ups."""
