"""The demo install `make run` seeds, in a server's SQLite file (schema from the models,
Wagtail's root page and site as its migrations make them, then `seed_demo` without the
media transcoding and the search index):

    DJANGO_SETTINGS_MODULE=tests.servers.sqlite_settings EHOME_VAR_DIR=… \\
        python -m tests.servers.demo_setup [break-editing]

`break-editing` then takes every group's right to add pages away (editors can still log
in, but not write), as a broken set-up would.
"""

import io
import sys

import django


def break_editing() -> None:
    from wagtail.models import GroupPagePermission

    GroupPagePermission.objects.filter(permission__codename="add_page").delete()


def main() -> None:
    django.setup()
    if sys.argv[1:] == ["break-editing"]:
        return break_editing()
    from django.core.management import call_command
    from wagtail.models import Collection, Locale, Page, Site

    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
    Locale.objects.get_or_create(language_code="zh-hans")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    Site.objects.get_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "root_page": root}
    )
    call_command("seed_demo", skip=["media_pipeline", "search"], stdout=io.StringIO())


if __name__ == "__main__":
    main()
