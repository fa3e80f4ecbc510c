"""Models of the app, gathered from its sub-packages."""

from interaction.engagement.models import *  # noqa: F401,F403
