"""Probationary members' conversion reminders to their secretary (预备党员转正提醒)."""
