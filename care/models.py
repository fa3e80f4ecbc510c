"""Models of the app, gathered from its sub-packages."""

from care.liaison.models import *  # noqa: F403
