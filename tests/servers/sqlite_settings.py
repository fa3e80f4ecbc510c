"""The embedded SQLite profile for a server process started by a test
(tests/elearning/test_sqlite_concurrency.py): the project's settings unchanged except

- the schema is created from the models (`migrate --run-syncdb`) instead of by running
  every migration, which takes longer than the test itself;
- `EHOME_TEST_SQLITE_BUSY_TIMEOUT` (seconds), when set, replaces the SQLite busy
  timeout, so a test can hold the write lock for longer than the timeout in a few seconds;
- passwords are hashed with MD5 (the setup creates a hundred members).
"""

import os

from config.settings import *  # noqa: F403
from config.settings import DATABASES


class _NoMigrations:
    def __contains__(self, item):
        return True

    def __getitem__(self, item):
        return None


MIGRATION_MODULES = _NoMigrations()
if os.environ.get("EHOME_TEST_SQLITE_BUSY_TIMEOUT"):
    DATABASES["default"]["OPTIONS"]["timeout"] = float(os.environ["EHOME_TEST_SQLITE_BUSY_TIMEOUT"])
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
