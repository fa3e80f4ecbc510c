"""The api app: resources, plus the signal wiring behind HTTP caching and delta sync.

`ready()` connects, for every model behind a content resource (resolved lazily with
`apps.get_model`; a model an app has not shipped yet is skipped):
- post_save / post_delete (and Wagtail's page_published / page_unpublished / post_page_move)
  → `api.caching.version_bump(<resource>)` after commit;
- shared models (images, documents, media assets, units, tags) → bump "shared";
- members, roles and units → bump "scope" and forget the user's cached auth state;
- users → forget their cached auth state (deactivation takes effect on the next request);
- content models with a published flag → `api.sync` tombstones on unpublish/delete/narrowed
  audience;
- `cms.signals.books_imported` (bulk import, no per-row signals) → bump "books".
Nothing else imports api; api may import every app.
"""

from __future__ import annotations

from django.apps import AppConfig, apps
from django.db.models.signals import post_delete, post_save, pre_save


def _model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


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
    from api.caching import auth_state_forget

    user_id = instance.pk if sender is apps.get_model(*_user_label()) else instance.user_id
    if user_id is not None:
        auth_state_forget(user_id)


def _user_label() -> tuple[str, str]:
    from django.conf import settings

    return tuple(settings.AUTH_USER_MODEL.split("."))  # type: ignore[return-value]


# MediaAsset saves many times while it transcodes; only these fields change what content
# JSON shows about it.
MEDIA_VISIBLE_FIELDS = frozenset(
    {"status", "title", "audience_unit", "owner_unit", "kind", "duration", "poster"}
)


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "接口"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from wagtail.signals import page_published, page_unpublished, post_page_move

        from api import caching, sync

        resources_of: dict[str, list[str]] = {}
        for resource, labels in caching.CONTENT_MODELS.items():
            for label in labels:
                resources_of.setdefault(label, []).append(resource)

        for label, resources in resources_of.items():
            model = _model(label)
            if model is None:
                continue
            bump = _Bump(*resources)
            uid = f"api.bump.{label}"
            post_save.connect(bump, sender=model, weak=False, dispatch_uid=uid + ".save")
            post_delete.connect(bump, sender=model, weak=False, dispatch_uid=uid + ".delete")
            page_published.connect(bump, sender=model, weak=False, dispatch_uid=uid + ".pub")
            page_unpublished.connect(bump, sender=model, weak=False, dispatch_uid=uid + ".unpub")
            post_page_move.connect(bump, sender=model, weak=False, dispatch_uid=uid + ".move")

        for label in caching.SHARED_MODELS:
            model = _model(label)
            if model is None:
                continue
            only = MEDIA_VISIBLE_FIELDS if label == "media_pipeline.MediaAsset" else None
            bump = _Bump(caching.SHARED, only_fields=only)
            uid = f"api.shared.{label}"
            post_save.connect(bump, sender=model, weak=False, dispatch_uid=uid + ".save")
            post_delete.connect(bump, sender=model, weak=False, dispatch_uid=uid + ".delete")

        for label in caching.SCOPE_MODELS:
            model = _model(label)
            if model is None:
                continue
            bump = _Bump(caching.SCOPE)
            uid = f"api.scope.{label}"
            post_save.connect(bump, sender=model, weak=False, dispatch_uid=uid + ".save")
            post_delete.connect(bump, sender=model, weak=False, dispatch_uid=uid + ".delete")
            if label != "organizations.OrgUnit":
                post_save.connect(_forget_user, sender=model, dispatch_uid=uid + ".forget")
                post_delete.connect(_forget_user, sender=model, dispatch_uid=uid + ".forget_d")

        user_model = _model(".".join(_user_label()))
        if user_model is not None:
            post_save.connect(_forget_user, sender=user_model, dispatch_uid="api.user.forget")
            post_delete.connect(_forget_user, sender=user_model, dispatch_uid="api.user.forget_d")

        for label in sync.TOMBSTONE_MODELS:
            model = _model(label)
            if model is None:
                continue
            uid = f"api.tomb.{label}"
            pre_save.connect(sync.on_pre_save, sender=model, dispatch_uid=uid + ".pre")
            post_save.connect(sync.on_post_save, sender=model, dispatch_uid=uid + ".post")
            post_delete.connect(sync.on_post_delete, sender=model, dispatch_uid=uid + ".del")
            page_unpublished.connect(
                sync.on_page_unpublished, sender=model, dispatch_uid=uid + ".unpub"
            )

        try:
            from cms.signals import books_imported
        except ImportError:
            pass
        else:
            books_imported.connect(_Bump("books"), weak=False, dispatch_uid="api.bump.books_imp")
