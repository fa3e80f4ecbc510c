"""HTTP caching for content resources: versions, ETags and a cheap view of the caller.

A *resource version* ("news", "books", …) is a counter plus the time of the last change,
bumped after commit whenever the content behind the resource changes (`content_changed`
below, for every declared content type: core.content) or what its JSON embeds (the
signals wired in `api.apps`). Versions live in the cache (`api:ver:<resource>`) with the `ContentVersion` table
as the fallback, so a cache flush never serves a stale 304.

The ETag of a content response is an HMAC (keyed by SECRET_KEY, so nobody can forge one for
an object they cannot see) over:
- the versions of the resource and of what its JSON embeds ("shared": images, media,
  units, tags; digests also embed news);
- the caller's *scope key* — a hash of the audience paths they read and the units they
  manage (organizations.selectors), so two members of different branches never share one;
- the scheme and host the client used (bodies carry absolute image URLs built from them),
  path + sorted query string, and the active language;
- when storage URLs are presigned, the current URL-lifetime bucket (the ETag rotates before
  the URLs in a cached body expire).

`ConditionalContentMiddleware` (api.middleware) answers If-None-Match / If-Modified-Since
with 304 before the view runs, using only the JWT signature, the cached *auth state* of the
user (active flag and scope key, `api:auth:<user id>`, dropped when the user, their member
record or roles change) and the cached versions: no SQL on a warm cache.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from api.models import ContentVersion
from core.absolute_urls import request_base_url

#: what content JSON embeds besides the resource's own rows: images, documents, media
#: assets, unit names, tag names. A change there invalidates every content ETag.
SHARED = "shared"
#: who sees what: members, roles, the unit tree. Part of Last-Modified (If-Modified-Since
#: carries no scope), and of the auth-state cache key.
SCOPE = "scope"

#: GET paths answered conditionally → the versions their body depends on. Courses are not
#: here: their JSON carries the caller's own progress, which changes with every heartbeat.
CONDITIONAL_PATHS: tuple[tuple[re.Pattern, tuple[str, ...]], ...] = (
    (re.compile(r"^/api/v1/news/(?:\d+/)?$"), ("news", SHARED)),
    (re.compile(r"^/api/v1/stories/(?:\d+/)?$"), ("stories", SHARED)),
    (re.compile(r"^/api/v1/digests/(?:\d+/)?$"), ("digests", "news", SHARED)),
    (re.compile(r"^/api/v1/books/(?:\d+/)?$"), ("books", SHARED)),
    (re.compile(r"^/api/v1/periodicals/(?:\d+/)?$"), ("periodicals", SHARED)),
    (re.compile(r"^/api/v1/bulletins/(?:\d+/)?$"), ("bulletins", SHARED)),
)

#: list paths whose whole 200 body is kept in the cache under its ETag (`body_get` /
#: `body_store`): GETs with no side effect (details count reads, so they are not here)
#: and no per-caller content beyond what the ETag's scope key covers.
BODY_CACHE_PATHS: tuple[re.Pattern, ...] = (re.compile(r"^/api/v1/news/$"),)
BODY_CACHE_SECONDS = 300
#: headers never replayed from a kept body: the validators are set afresh, and cookies
#: belong to the request that got them
_BODY_SKIP_HEADERS = frozenset({"etag", "last-modified", "cache-control", "set-cookie"})

EPOCH = datetime(2020, 1, 1, tzinfo=UTC).timestamp()
VERSION_CACHE_SECONDS = 300
AUTH_STATE_SECONDS = 60


def resource_keys_for_path(path: str) -> tuple[str, ...] | None:
    for pattern, keys in CONDITIONAL_PATHS:
        if pattern.match(path):
            return keys
    return None


# --- versions -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Version:
    counter: int
    changed_at: float  # unix seconds


def _vkey(resource: str) -> str:
    return f"api:ver:{resource}"


def versions(resources: Iterable[str]) -> dict[str, Version]:
    """Current versions (one cache round trip; one SQL query only on a cache miss)."""
    return versions_and_auth(resources, None)[0]


def versions_and_auth(resources: Iterable[str], user_id) -> tuple[dict[str, Version], dict | None]:
    """Versions plus the cached auth state of `user_id` (None if not cached or no user) in
    ONE cache round trip: the whole cost of a 304 on a warm cache."""
    vers, state, _logins = versions_auth_logins(resources, user_id, logins=False)
    return vers, state


def versions_auth_logins(resources: Iterable[str], user_id, *, logins: bool = True):
    """`versions_and_auth` plus the user's cached login versions
    (`organizations.logins`; None if not cached), still in one cache round trip: what
    the middleware compares with before writing either back."""
    from organizations.logins import versions_cache_key

    resources = list(dict.fromkeys(resources))
    keys = [_vkey(r) for r in resources]
    if user_id is not None:
        keys.append(_akey(user_id))
        if logins:
            keys.append(versions_cache_key(user_id))
    got = cache.get_many(keys)
    out: dict[str, Version] = {}
    missing = []
    for r in resources:
        raw = got.get(_vkey(r))
        if raw is None:
            missing.append(r)
        else:
            out[r] = Version(*raw)
    if missing:
        rows = dict(
            (res, Version(counter, at.timestamp()))
            for res, counter, at in ContentVersion.objects.filter(resource__in=missing).values_list(
                "resource", "counter", "changed_at"
            )
        )
        fill = {}
        for r in missing:
            out[r] = rows.get(r, Version(0, EPOCH))
            fill[_vkey(r)] = (out[r].counter, out[r].changed_at)
        cache.set_many(fill, VERSION_CACHE_SECONDS)
    if user_id is None:
        return out, None, None
    return out, got.get(_akey(user_id)), got.get(versions_cache_key(user_id)) if logins else None


def _apply_bump(resource: str) -> None:
    now = timezone.now()
    updated = ContentVersion.objects.filter(resource=resource).update(
        counter=F("counter") + 1, changed_at=now
    )
    if not updated:
        try:
            with transaction.atomic():
                ContentVersion.objects.create(resource=resource, counter=1, changed_at=now)
        except IntegrityError:  # a concurrent first bump created it
            ContentVersion.objects.filter(resource=resource).update(
                counter=F("counter") + 1, changed_at=now
            )
    cache.delete(_vkey(resource))


def content_changed(sender, change, **kwargs) -> None:
    """core.content.content_changed (after commit): the changed type's resources, and
    those embedding it, have a new version."""
    version_bump(*change.content_type.resources)


def version_bump(*resources: str) -> None:
    """Bump resources after the current transaction commits (now, outside one). A rolled
    back transaction bumps nothing; a reader never pairs the new version with old rows.
    (Each call costs one UPDATE after commit; publishing a page makes a handful.)"""
    for resource in dict.fromkeys(resources):
        transaction.on_commit(partial(_apply_bump, resource))


# --- the caller ---------------------------------------------------------------------------
def scope_key_for(user) -> str:
    """What this user may see, as a short hash (organizations.selectors decides)."""
    from organizations.selectors import scope_for

    scope = scope_for(user)
    data = [scope.is_global, list(scope.audience_paths), list(scope.managed_paths)]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:24]


def _akey(user_id) -> str:
    return f"api:auth:{user_id}"


def auth_state_store(user, scope_counter: int, *, cached: dict | None = None) -> dict:
    """Compute and cache the user's auth state — not written again when `cached` (what
    the cache held when the request came in) is already the same state."""
    state = {
        "active": bool(user.is_active),
        "scope": scope_key_for(user) if user.is_active else "",
        "scope_counter": scope_counter,
    }
    if state != cached:
        cache.set(_akey(user.pk), state, AUTH_STATE_SECONDS)
    return state


def auth_state(user_id, scope_counter: int, cached: dict | None = None) -> dict:
    """{"active", "scope"} of a user: `cached` (from versions_and_auth), else one user
    query plus the scope queries. Dropped by `auth_state_forget` when the user or their
    roles change, and recomputed whenever the global scope version moved."""
    if auth_state_current(cached, scope_counter):
        return cached
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return {"active": False, "scope": "", "scope_counter": scope_counter}
    return auth_state_store(user, scope_counter)


def auth_state_current(cached: dict | None, scope_counter: int) -> bool:
    """A cached auth state still valid under the current global scope version."""
    return cached is not None and cached.get("scope_counter") == scope_counter


def auth_state_forget(user_id) -> None:
    cache.delete(_akey(user_id))


def jwt_user_id(request):
    """The user id of a valid Bearer access token, without touching the database (None
    when there is no token or it is invalid: the view then answers 401 itself)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Bearer "):
        return None
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
    from rest_framework_simplejwt.settings import api_settings

    try:
        token = JWTAuthentication().get_validated_token(header[7:].strip().encode())
        return token[api_settings.USER_ID_CLAIM]
    except (InvalidToken, TokenError, KeyError):
        return None


# --- validators ---------------------------------------------------------------------------
def _url_lifetime_bucket() -> tuple[int, float]:
    """(bucket number, bucket start) of the presigned-URL rotation; (0, EPOCH) when the
    URLs in content JSON do not expire (local storage or a public bucket)."""
    presigned = getattr(settings, "AWS_STORAGE_BUCKET_NAME", None) and (
        getattr(settings, "AWS_QUERYSTRING_AUTH", False)
        or getattr(settings, "EHOME_MEDIA_PLAYBACK", "public") == "presigned"
    )
    if not presigned:
        return 0, EPOCH
    lifetime = min(
        int(getattr(settings, "AWS_QUERYSTRING_EXPIRE", 3600)),
        int(getattr(settings, "EHOME_MEDIA_URL_EXPIRE", 3600)),
    )
    period = max(60, lifetime // 2)
    bucket = int(time.time() // period)
    return bucket, float(bucket * period)


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: float | None  # None: changed within the last second (ETag only)


def validators_for(
    *, request, keys: tuple[str, ...], vers: dict[str, Version], scope: str, language: str
) -> Validators:
    bucket, bucket_start = _url_lifetime_bucket()
    query = sorted((k, sorted(v)) for k, v in request.GET.lists())
    payload = json.dumps(
        [
            [(k, vers[k].counter) for k in keys],
            scope,
            request_base_url(request),  # bodies carry absolute URLs (core.absolute_urls)
            request.path_info,
            query,
            language,
            bucket,
        ],
        ensure_ascii=False,
    )
    digest = hmac.new(settings.SECRET_KEY.encode(), payload.encode(), hashlib.sha256).hexdigest()[
        :32
    ]
    changed = max([vers[k].changed_at for k in (*keys, SCOPE) if k in vers] + [bucket_start])
    # Last-Modified has one-second resolution: a second change inside the same second
    # would look unchanged to If-Modified-Since, so a fresh version gets no Last-Modified.
    last_modified = int(changed) if time.time() - changed >= 1.0 else None
    return Validators(etag=f'W/"{digest}"', last_modified=last_modified)


def etag_matches(header: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2) against an If-None-Match list."""
    if header.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in header.split(","))


# --- whole bodies -----------------------------------------------------------------------
def body_cacheable(path: str) -> bool:
    """A news feed page may be answered from a kept body (settings.EHOME_API_BODY_CACHE,
    default on)."""
    if not getattr(settings, "EHOME_API_BODY_CACHE", True):
        return False
    return any(p.match(path) for p in BODY_CACHE_PATHS)


def body_key(request, v: Validators) -> str:
    """The ETag (versions, scope key, scheme and host, language, sorted query, URL
    bucket) plus the raw query string: the body's `next`/`previous` links repeat the
    query in the order the client sent it."""
    raw = f"{v.etag}\n{request.META.get('QUERY_STRING', '')}"
    return "api:body:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def body_get(key: str):
    """(bytes, headers) kept by `body_store`, or None."""
    return cache.get(key)


def body_store(key: str, response) -> None:
    """Keep a 200's bytes and headers (before the validators are added) for the ETag."""
    headers = [(k, v) for k, v in response.items() if k.lower() not in _BODY_SKIP_HEADERS]
    cache.set(key, (response.content, headers), BODY_CACHE_SECONDS)
