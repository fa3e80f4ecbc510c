"""Ending a user's logins: API tokens and portal/admin sessions (organizations.LoginState).

A JWT lives until it expires (access 15 min, refresh 14 days, rotated) and a session
until its cookie does; neither is stored where it could be deleted one by one. Instead
each user has two counters: JWTs carry the token version they were issued under (claim
`tv`, api.auth) and sessions store the session version at login (`user_logged_in`). A
token or session holding an older value is refused (api.authentication and
`LoginSessionMiddleware`). Bumping a counter therefore ends every login of that kind at
once, on the next request:

- password change (any path that calls `set_password`, or a changed password hash —
  except Django's own hasher upgrade at login) → tokens; Django's session auth hash
  already ends the sessions;
- deactivation (`is_active` True → False) → tokens and sessions;
- "log out everywhere" (`POST /api/v1/auth/logout/ {"all": true}`, the admin's
  退出所有登录 action) → tokens and sessions.

The JWT check costs no query of its own: api.authentication joins LoginState into the
one query that loads the user, member and unit.
"""

from __future__ import annotations

import logging

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.signals import post_init, post_save
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from organizations.models import LoginState

logger = logging.getLogger(__name__)

TOKEN_CLAIM = "tv"
SESSION_VERSION_KEY = "_ehome_login_sv"
# The API's conditional-GET shortcut (api.middleware) answers 304 without loading the
# user, and web requests load the user without LoginState: both read the current
# versions from this cache entry (a query on a miss).
VERSION_CACHE_SECONDS = 60

REASON_PASSWORD = "password_changed"
REASON_DEACTIVATED = "deactivated"
REASON_LOGOUT_ALL = "logout_all"


def _cache_key(user_id) -> str:
    return f"login:versions:{user_id}"


def _cached(op: str, *args):
    """A cache call that never fails a login check or a revocation: with the cache down
    the versions come from the database (and a revocation still commits)."""
    try:
        return getattr(cache, op)(*args)
    except Exception:  # noqa: BLE001 - any cache backend error
        logger.warning("login versions: cache %s failed", op, exc_info=True)
        return None


def _state_of(user) -> LoginState | None:
    try:
        return user.login_state  # joined by the API's user look-up; a query otherwise
    except LoginState.DoesNotExist:
        return None


def token_version(user) -> int:
    """The version a JWT issued to `user` now must carry."""
    state = _state_of(user)
    return state.token_version if state is not None else 0


def session_version(user) -> int:
    state = _state_of(user)
    return state.session_version if state is not None else 0


def _versions_for_id(user_id) -> tuple[int, int]:
    """(token version, session version) by user id from the cache; one query on a miss.
    Revocation deletes the entry after commit (a reader racing it keeps an old value
    for at most VERSION_CACHE_SECONDS)."""
    key = _cache_key(user_id)
    versions = _cached("get", key)
    if versions is None:
        row = LoginState.objects.filter(user_id=user_id).values_list(
            "token_version", "session_version"
        )
        versions = tuple(row.first() or (0, 0))
        _cached("set", key, versions, VERSION_CACHE_SECONDS)
    return int(versions[0]), int(versions[1])


def versions_cache_key(user_id) -> str:
    """Where the user's versions are cached (read along with other keys in one round
    trip by the API's conditional-GET middleware)."""
    return _cache_key(user_id)


def versions_remember(user, *, cached=None) -> None:
    """Cache the versions of a user whose LoginState came with it (the API's user
    look-up joins it), so the next conditional request's 304 needs no query — not
    written again when `cached` (what the cache held when the request came in) already
    holds them."""
    cache_name = LoginState.user.field.remote_field.cache_name
    if cache_name in user._state.fields_cache:
        state = user._state.fields_cache[cache_name]
        versions = (state.token_version, state.session_version) if state else (0, 0)
        if cached is not None and tuple(cached) == versions:
            return
        _cached("set", _cache_key(user.pk), versions, VERSION_CACHE_SECONDS)


def token_version_for_id(user_id) -> int:
    return _versions_for_id(user_id)[0]


def session_version_for_id(user_id) -> int:
    return _versions_for_id(user_id)[1]


def token_is_current(user, claims) -> bool:
    """True when a token with these claims was issued under the user's current version
    (tokens issued before versions existed carry no claim and count as version 0)."""
    return claims.get(TOKEN_CLAIM, 0) == token_version(user)


def user_logins_revoke(*, user, sessions: bool = True, reason: str = REASON_LOGOUT_ALL) -> None:
    """End every API token of `user` (and, with `sessions`, every portal/admin session)
    from the next request on. Atomic; callable inside a larger transaction."""
    user_id = user.pk
    now = timezone.now()
    changes = {"token_version": F("token_version") + 1, "revoked_at": now, "reason": reason}
    if sessions:
        changes["session_version"] = F("session_version") + 1
    with transaction.atomic():
        if not LoginState.objects.filter(user_id=user_id).update(**changes):
            try:
                with transaction.atomic():
                    LoginState.objects.create(
                        user_id=user_id,
                        token_version=1,
                        session_version=1 if sessions else 0,
                        revoked_at=now,
                        reason=reason,
                    )
            except IntegrityError:  # a concurrent first revocation created the row
                LoginState.objects.filter(user_id=user_id).update(**changes)
        # now (this process's next request) and after commit (a reader that refilled the
        # entry from the not yet committed row)
        _cached("delete", _cache_key(user_id))
        transaction.on_commit(lambda: _cached("delete", _cache_key(user_id)))
    # an object cached on this user instance (e.g. request.user) is stale now
    user._state.fields_cache.pop(LoginState.user.field.remote_field.cache_name, None)


# --- password change and deactivation, however they are saved ------------------------------
def _remember(sender, instance, **kwargs):
    """Note the password hash and active flag as loaded (only when actually loaded:
    reading a deferred field here would cost a query per instance)."""
    loaded = instance.__dict__
    instance._ehome_login_seen = (loaded.get("password"), loaded.get("is_active"))


def _revoke_on_change(sender, instance, created=False, raw=False, update_fields=None, **kw):
    seen = getattr(instance, "_ehome_login_seen", (None, None))
    instance._ehome_login_seen = (
        instance.__dict__.get("password"),
        instance.__dict__.get("is_active"),
    )
    if created or raw:
        return
    old_password, was_active = seen
    deactivated = was_active is True and instance.is_active is False
    # `set_password` leaves the raw password in `_password` until save() returns. Django's
    # hasher upgrade at login (check_password's setter) saves a new hash with `_password`
    # cleared and update_fields=["password"]: not a password change, nothing is revoked.
    hasher_upgrade = getattr(instance, "_password", None) is None and (
        update_fields is not None and set(update_fields) == {"password"}
    )
    # a user without a usable password (just created, or disabled) has no login to end
    had_password = old_password is None or (
        old_password != "" and not old_password.startswith(UNUSABLE_PASSWORD_PREFIX)
    )
    set_called = getattr(instance, "_password", None) is not None
    hash_changed = (
        old_password is not None
        and "password" in instance.__dict__
        and instance.password != old_password
    )
    password_changed = had_password and (set_called or (hash_changed and not hasher_upgrade))
    if deactivated:
        user_logins_revoke(user=instance, sessions=True, reason=REASON_DEACTIVATED)
    elif password_changed:
        user_logins_revoke(user=instance, sessions=False, reason=REASON_PASSWORD)


def _store_session_version(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_VERSION_KEY] = session_version(user)
        versions_remember(user)  # the session's next requests check it without a query


def connect_signals() -> None:
    from django.contrib.auth.signals import user_logged_in

    user_model = get_user_model()
    post_init.connect(_remember, sender=user_model, dispatch_uid="organizations.login.seen")
    post_save.connect(
        _revoke_on_change, sender=user_model, dispatch_uid="organizations.login.revoke"
    )
    user_logged_in.connect(_store_session_version, dispatch_uid="organizations.login.session")


# --- sessions ----------------------------------------------------------------------------------
class LoginSessionMiddleware:
    """Logs out a portal/admin session whose stored session version is not the user's
    current one (after "log out everywhere" or deactivation). Put it right after
    AuthenticationMiddleware; it costs a cache read (a small query on a miss), only for
    signed-in sessions and only when the view looks at `request.user`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            lazy_user = request.user

            def checked_user():
                if not lazy_user.is_authenticated:  # runs Django's get_user(request)
                    return lazy_user._wrapped
                user = lazy_user._wrapped
                if session.get(SESSION_VERSION_KEY, 0) != session_version_for_id(user.pk):
                    # what logout() does, without re-entering this lazy request.user
                    session.flush()
                    return AnonymousUser()
                return user

            request.user = SimpleLazyObject(checked_user)
        return self.get_response(request)
