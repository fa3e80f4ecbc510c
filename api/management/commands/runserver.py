"""`manage.py runserver`, refusing the development profile on a network address.

The development profile (DJANGO_ENV unset) has no deploy hardening; `runserver
0.0.0.0:8000` would put it on every network this machine is on. The check is
core.dev_guard's (EHOME_ALLOW_DEV_ON_NETWORK=1 forces). Otherwise this is the
runserver of the next app in INSTALLED_APPS (whitenoise's, then staticfiles', then
Django's), unchanged."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.core.management import CommandError

from core.dev_guard import dev_bind_refusal


def _next_runserver():
    names = [a.name for a in apps.get_app_configs()]
    below = names[names.index("api") + 1 :] + ["django.core"]
    for name in below:
        try:
            return import_module(f"{name}.management.commands.runserver").Command
        except (ImportError, AttributeError):
            continue
    raise ImportError("no runserver command")  # pragma: no cover - django.core has one


class Command(_next_runserver()):
    def run(self, **options):
        refusal = dev_bind_refusal(self.addr)
        if refusal:
            raise CommandError(refusal)
        super().run(**options)
