"""Root pytest configuration: tasks run inline in tests unless a test picks a backend."""

import os

os.environ.setdefault("EHOME_TASKS_IMMEDIATE", "1")
os.environ.setdefault("EHOME_VAR_DIR", os.path.join(os.path.dirname(__file__), "var", "test"))
