"""gunicorn's settings file (gunicorn reads ./gunicorn.conf.py when started from here).

Refuses to start the development profile (DJANGO_ENV unset) on an address other machines
can reach — `gunicorn config.wsgi --bind 0.0.0.0:8000` without DJANGO_ENV=production —
with core.dev_guard's message; EHOME_ALLOW_DEV_ON_NETWORK=1 forces. All other options
come from the command line (docs/operations.md)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def on_starting(server):
    from core.dev_guard import bind_host, dev_bind_refusal

    for bind in server.cfg.bind:
        refusal = dev_bind_refusal(bind_host(bind))
        if refusal:
            raise SystemExit(refusal)
