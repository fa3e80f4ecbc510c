"""Steps run as separate processes against a server's SQLite file
(tests/api/test_cross_process_state.py), each printing one JSON line:

    python -m tests.servers.shared_state setup        → schema, a member, a book; token
    python -m tests.servers.shared_state add-book T   → another published book titled T
    python -m tests.servers.shared_state revoke       → the member logs out everywhere

with DJANGO_SETTINGS_MODULE=tests.servers.sqlite_settings and EHOME_VAR_DIR set.
"""

import json
import sys

import django


def main(step: str, *args: str) -> None:
    django.setup()
    from django.db import transaction

    from cms.models import Book
    from organizations.models import Member, OrgUnit

    if step == "setup":
        from django.core.management import call_command
        from rest_framework_simplejwt.tokens import AccessToken

        from tests.factories import add_unit, member_in

        call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
        unit = add_unit(None, "G", "集团党委", kind="committee")
        member = member_in(unit, username="reader")
        Book.objects.create(title="党章", audience_unit=unit, is_published=True)
        print(json.dumps({"token": str(AccessToken.for_user(member.user))}))
    elif step == "add-book":
        with transaction.atomic():
            book = Book.objects.create(
                title=args[0], audience_unit=OrgUnit.objects.get(code="G"), is_published=True
            )
        print(json.dumps({"book": book.pk}))
    elif step == "revoke":
        from organizations.logins import user_logins_revoke

        user = Member.objects.get(user__username="reader").user
        with transaction.atomic():
            user_logins_revoke(user=user)
        print(json.dumps({"revoked": user.pk}))
    else:
        raise SystemExit(f"unknown step {step!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])
