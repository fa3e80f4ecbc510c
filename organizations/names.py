"""A person is shown by their member name (`Member.name`), not their login.

Django's `User` (this project keeps the stock user model) prints as its username, and
Wagtail shows `get_full_name()` — first and last name — falling back to the username.
The member record is where a person's name is kept (imports, the member admin, transfers),
so the login's `first_name` follows it: every save of a member, every import batch
(bulk writes send no signals) and `ehome_setup` (rows written before) copy the name over,
with `last_name` cleared (a Chinese name is one string, family name first). And a user
prints as that name: choosers, avatars' titles and "locked by" lines in the admin, which
use `str(user)`, show 王编辑 rather than "editor". Logins without a member (the
superuser, service accounts) keep whatever name was typed for them, else the username.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import F, OuterRef, Q, Subquery


def user_display_name(user) -> str:
    """What to show for a login: its full name (the member's name), else its username."""
    return (user.get_full_name() or "").strip() or user.get_username()


def user_names_sync(*, member_ids: list[int] | None = None) -> int:
    """Copy members' names onto their logins where they differ (one UPDATE).
    `member_ids` limits it to those members. Returns how many logins changed."""
    from organizations.models import Member

    members = (
        Member.objects.all() if member_ids is None else Member.objects.filter(pk__in=member_ids)
    )
    stale = (
        get_user_model()
        .objects.filter(member__in=members)
        .filter(~Q(first_name=F("member__name")) | ~Q(last_name=""))
    )
    return stale.update(
        first_name=Subquery(Member.objects.filter(user_id=OuterRef("pk")).values("name")[:1]),
        last_name="",
    )


def member_saved(sender, instance, **kwargs) -> None:
    """post_save of a Member: its login takes the member's name."""
    get_user_model().objects.filter(pk=instance.user_id).exclude(
        first_name=instance.name, last_name=""
    ).update(first_name=instance.name, last_name="")


def install_user_display() -> None:
    """Users print as their display name (see the module docstring)."""
    get_user_model().__str__ = user_display_name
