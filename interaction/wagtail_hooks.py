"""Admin hooks of the interaction app, one module per sub-package."""

from interaction.analytics import wagtail_hooks as analytics_hooks  # noqa: F401
