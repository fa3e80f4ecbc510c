"""Models of the app, gathered from its sub-packages."""

from interaction.comments.models import *  # noqa: F403
from interaction.engagement.models import *  # noqa: F401,F403
from interaction.qa.models import *  # noqa: F403
