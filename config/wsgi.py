"""The WSGI application (`config.wsgi:application`, served by bin/serve: granian or gunicorn).

After Django is set up, every URL module (and so every view module) is imported, then
the garbage collector is told to leave all those objects alone (`gc.freeze()`): a loaded
worker tracks ~180,000 objects, and a full collection over them took ~90 ms — a stall
for whichever request triggered it (docs/operations.md). Objects made later, per request,
are collected as usual.

The few hot API endpoints take a shorter road through Django (api.hot_path,
EHOME_HOT_PATH).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from api.hot_path import wrap  # noqa: E402 - needs the settings configured above

application = wrap(application)
# import the URL and view modules now, not on the first request
get_resolver().url_patterns  # noqa: B018
gc.collect()
gc.freeze()
