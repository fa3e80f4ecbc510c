"""Django model permissions named by the model classes, not by strings."""

from __future__ import annotations

from collections.abc import Iterable


def model_permissions(*models, actions: Iterable[str] | None = None):
    """The permissions of `models` (a Permission queryset): every one, or only the
    `<action>_<model>` ones of `actions`."""
    from django.contrib.auth import get_permission_codename
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    perms = Permission.objects.filter(
        content_type__in=list(ContentType.objects.get_for_models(*models).values())
    )
    if actions is not None:
        actions = list(actions)
        perms = perms.filter(
            codename__in=[get_permission_codename(a, m._meta) for m in models for a in actions]
        )
    return perms
