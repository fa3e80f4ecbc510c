"""Demo data for `manage.py seed_demo` (filled in by this app's issue)."""


def seed(stdout=None) -> dict:
    return {}
