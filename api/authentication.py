"""The API's request authentication (a module of its own: DRF imports it from settings
while `rest_framework.generics` is still loading, so it must not import DRF views)."""

from __future__ import annotations

from rest_framework_simplejwt.authentication import JWTAuthentication


class _UserWithMember:
    """Stands in for the user model inside simplejwt's `get_user` (which calls
    `user_model.objects.get(...)` and catches `user_model.DoesNotExist`): the same look-up,
    with the member record and its unit joined in."""

    def __init__(self, model):
        self.objects = model.objects.select_related("member__unit")
        self.DoesNotExist = model.DoesNotExist


class MemberJWTAuthentication(JWTAuthentication):
    """simplejwt's JWT authentication (signature, expiry, active user, password-change
    revocation) that loads the user, their member record and unit in ONE query and hands
    the member to `organizations.selectors.member_for_user` — the academy and content
    views need it on every request (the progress report is the hottest path)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_model = _UserWithMember(self.user_model)

    def get_user(self, validated_token):
        from organizations.models import Member
        from organizations.selectors import member_cache_set

        user = super().get_user(validated_token)
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
