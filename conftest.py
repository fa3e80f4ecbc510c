"""Root pytest configuration.

Test-specific settings (tasks run inline, var/test/ for files) are chosen in
config/settings.py from PYTEST_VERSION, which pytest sets before pytest-django loads the
settings; setting environment variables here would come too late."""
