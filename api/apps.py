"""The api app: resources, plus the signal wiring behind HTTP caching and delta sync.

`ready()` connects:
- `core.content.content_changed` (sent after commit for every change of a declared
  content type: saves, publishes, unpublishes, moves, deletes, bulk imports, outlets)
  → `api.caching.content_changed` (bumps the type's resources) and
  `api.sync.content_changed` (tombstones on unpublish/delete/narrowed audience);
- shared models (images, documents, media assets, units, tags) → bump "shared";
- members, roles and units → bump "scope" and forget the user's cached auth state;
- users → forget their cached auth state (deactivation takes effect on the next request).
Nothing else imports api; api may import every app.
"""

from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class _Bump:
    """A signal receiver bumping fixed resources (an object, so it can be connected with
    weak=False and a stable dispatch_uid)."""

    def __init__(self, *resources: str, only_fields: frozenset[str] | None = None):
        self.resources = resources
        self.only_fields = only_fields

    def __call__(self, sender, raw=False, update_fields=None, **kwargs):
        if raw:
            return
        if self.only_fields is not None and update_fields is not None:
            if not (self.only_fields & set(update_fields)):
                return  # e.g. a transcoding progress tick on a media asset
        from api.caching import version_bump

        version_bump(*self.resources)


def _forget_user(sender, instance, raw=False, **kwargs):
    from django.contrib.auth import get_user_model

    from api.caching import auth_state_forget

    user_id = instance.pk if sender is get_user_model() else instance.user_id
    if user_id is not None:
        auth_state_forget(user_id)


# MediaAsset saves many times while it transcodes; only these fields change what content
# JSON shows about it.
MEDIA_VISIBLE_FIELDS = frozenset(
    {"status", "title", "audience_unit", "owner_unit", "kind", "duration", "poster"}
)


def _connect_bump(model, bump: _Bump, uid: str) -> None:
    post_save.connect(bump, sender=model, weak=False, dispatch_uid=uid + ".save")
    post_delete.connect(bump, sender=model, weak=False, dispatch_uid=uid + ".delete")


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "接口"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        import datetime as dt

        from django.contrib.auth import get_user_model
        from taggit.models import Tag
        from wagtail.documents import get_document_model
        from wagtail.images import get_image_model

        from api import caching, sync
        from core.content import content_changed
        from core.schedule import Periodic, register
        from media_pipeline.models import MediaAsset
        from organizations.models import Member, OrgUnit, UnitRole

        register(
            Periodic(
                name="api.tombstones_purge",
                task="api.tasks.tombstones_purge",
                every=dt.timedelta(days=1),
                offset=dt.timedelta(hours=19),  # 03:00 in Beijing
                description="清理过期的同步删除记录",
            )
        )
        content_changed.connect(caching.content_changed, dispatch_uid="api.caching.content")
        content_changed.connect(sync.content_changed, dispatch_uid="api.sync.content")

        # what content JSON embeds besides the content's own rows
        for model in (get_image_model(), get_document_model(), MediaAsset, OrgUnit, Tag):
            only = MEDIA_VISIBLE_FIELDS if model is MediaAsset else None
            bump = _Bump(caching.SHARED, only_fields=only)
            _connect_bump(model, bump, f"api.shared.{model._meta.label_lower}")

        # who sees what
        for model in (OrgUnit, Member, UnitRole):
            uid = f"api.scope.{model._meta.label_lower}"
            _connect_bump(model, _Bump(caching.SCOPE), uid)
            if model is not OrgUnit:
                post_save.connect(_forget_user, sender=model, dispatch_uid=uid + ".forget")
                post_delete.connect(_forget_user, sender=model, dispatch_uid=uid + ".forget_d")

        user_model = get_user_model()
        post_save.connect(_forget_user, sender=user_model, dispatch_uid="api.user.forget")
        post_delete.connect(_forget_user, sender=user_model, dispatch_uid="api.user.forget_d")
