"""Models of the app, gathered from its sub-packages."""

from care.assistance.models import *  # noqa: F403
from care.greetings.models import *  # noqa: F403
from care.liaison.models import *  # noqa: F403
