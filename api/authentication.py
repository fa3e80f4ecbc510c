"""The API's request authentication (a module of its own: DRF imports it from settings
while `rest_framework.generics` is still loading, so it must not import DRF views)."""

from __future__ import annotations

import functools
import time

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication

TOKEN_REVOKED_MESSAGE = "登录已失效（密码已修改或已退出所有登录），请重新登录"


class _UserWithMember:
    """Stands in for the user model inside simplejwt's `get_user` (which calls
    `user_model.objects.get(<id field>=…)` and catches `user_model.DoesNotExist`): the same
    look-up, with the member record, its unit and the user's LoginState (the token version
    a JWT must carry, organizations.logins) joined in.

    On PostgreSQL the query is one prebuilt SQL string, run as a prepared statement
    (core.db), and the three model instances are made with `Model.from_db` — compiling
    the ORM's select_related query cost more CPU (~0.5 ms) than running it, on every API
    request. The columns are all plain types that psycopg returns as Python values.
    Elsewhere it is the ORM's select_related."""

    def __init__(self, model):
        self.model = model
        self.DoesNotExist = model.DoesNotExist
        self.objects = self

    def get(self, **lookup):
        from django.db import connections

        from core.db import fetchone_prepared

        ((field, value),) = lookup.items()
        connection = connections["default"]
        if connection.vendor != "postgresql":
            return self.model.objects.select_related("member__unit", "login_state").get(**lookup)
        sql, parts = _lookup_sql(self.model, field)
        row = fetchone_prepared(sql, [value])
        if row is None:
            raise self.model.DoesNotExist
        return _instances(parts, row)


_SQL_CACHE: dict = {}


def _lookup_sql(user_model, field: str):
    key = (user_model, field)
    if key not in _SQL_CACHE:
        from organizations.models import LoginState, Member, OrgUnit

        parts, select = [], []
        models = (("u", user_model), ("m", Member), ("o", OrgUnit), ("s", LoginState))
        for alias, model in models:
            fields = model._meta.concrete_fields
            parts.append((model, [f.attname for f in fields]))
            select += [f'{alias}."{f.column}"' for f in fields]
        column = user_model._meta.get_field(field).column
        _SQL_CACHE[key] = (
            f"SELECT {', '.join(select)} FROM {user_model._meta.db_table} u "
            f"LEFT JOIN {Member._meta.db_table} m ON m.user_id = u.id "
            f"LEFT JOIN {OrgUnit._meta.db_table} o ON o.id = m.unit_id "
            f"LEFT JOIN {LoginState._meta.db_table} s ON s.user_id = u.id "
            f'WHERE u."{column}" = %s',
            parts,
        )
    return _SQL_CACHE[key]


def _instances(parts, row):
    from organizations.models import LoginState, Member

    objs, i = [], 0
    for model, names in parts:
        values = row[i : i + len(names)]
        i += len(names)
        objs.append(model.from_db("default", names, values) if values[0] is not None else None)
    user, member, unit, login_state = objs
    Member.user.field.remote_field.set_cached_value(user, member)  # user.member
    LoginState.user.field.remote_field.set_cached_value(user, login_state)
    if member is not None:
        Member.user.field.set_cached_value(member, user)
        Member.unit.field.set_cached_value(member, unit)
    return user


#: raw access token → (its expiry as a Unix time, the validated token), per process
_VALIDATED: dict[bytes, tuple[float, object]] = {}
VALIDATED_MAX = 4096


def _validated_remember(raw: bytes, token) -> None:
    exp = token.payload.get("exp")
    if not isinstance(exp, (int, float)):
        return
    if len(_VALIDATED) >= VALIDATED_MAX:
        now = time.time()
        for key in [k for k, (e, _t) in _VALIDATED.items() if e <= now]:
            _VALIDATED.pop(key, None)
        if len(_VALIDATED) >= VALIDATED_MAX:
            _VALIDATED.clear()
    _VALIDATED[raw] = (float(exp), token)


class MemberJWTAuthentication(JWTAuthentication):
    """simplejwt's JWT authentication (signature, expiry, active user) plus revocation: a
    token issued under an older token version of the user (password changed, "log out
    everywhere", deactivated — organizations.logins) is refused with 401. The user, their
    member record, unit and token version come in ONE query, and the member is handed to
    `organizations.selectors.member_for_user` — the academy and content views need it on
    every request (the progress report is the hottest path)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_model = _UserWithMember(self.user_model)

    def get_validated_token(self, raw_token: bytes):
        """simplejwt's validation (signature, type, expiry), remembered per process for
        the token's life: a phone sends the same access token with every report, and
        decoding and verifying it was ~12 % of the CPU of a progress report. Only the
        identical bytes hit (a changed signature or claim is a different key and is
        validated afresh), and a remembered token past its expiry is validated again
        (and refused). Revocation is not affected: `get_user` still reads the user, their
        token version and active flag from the database on every request."""
        hit = _VALIDATED.get(raw_token)
        if hit is not None and hit[0] > time.time():
            return hit[1]
        token = super().get_validated_token(raw_token)
        _validated_remember(raw_token, token)
        return token

    def get_user(self, validated_token):
        from organizations.logins import token_is_current
        from organizations.models import Member
        from organizations.selectors import member_cache_set

        user = super().get_user(validated_token)
        if not token_is_current(user, validated_token):
            raise AuthenticationFailed(TOKEN_REVOKED_MESSAGE, code="token_revoked")
        try:
            member = user.member
        except Member.DoesNotExist:
            member = None
        member_cache_set(user, member)
        return user


def _schema_extension():
    """Document MemberJWTAuthentication as the same bearer scheme drf-spectacular uses for
    simplejwt (its extension matches the exact class only)."""
    from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme

    class MemberJWTScheme(SimpleJWTScheme):
        target_class = "api.authentication.MemberJWTAuthentication"

    return MemberJWTScheme


_schema_extension()


@functools.cache
def shared_authenticator() -> MemberJWTAuthentication:
    """One instance per process for code that validates tokens outside a DRF view (the
    conditional-GET middleware, the progress fast path and lane): it keeps no state of its
    own between requests."""
    return MemberJWTAuthentication()
