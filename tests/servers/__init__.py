"""Settings and setup scripts for tests that run the project in a separate server
process (not collected by pytest: no test_ prefix)."""
