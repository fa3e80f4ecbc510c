"""Settings for bench/api.py only: the project settings plus Wagtail's API v2 (so the
benchmark can measure it against /api/v1/), never used in production.

Selected by DJANGO_SETTINGS_MODULE=bench._api_settings (bench/api.py sets it for the
gunicorn it starts and for its in-process query counts). The leading underscore keeps
`python -m bench` from running this module as a benchmark."""

import os

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS, LOGGING, REST_FRAMEWORK

ROOT_URLCONF = "bench._api_urls"
INSTALLED_APPS = [*INSTALLED_APPS, "wagtail.api.v2"]
# The load client is one user: lift the per-user rate so throttling answers no 429 (the
# throttle still runs, with its cache round trip, exactly as in production).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "user": "100000000/min",
        "anon": "100000000/min",
    },
}
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}
WAGTAILAPI_LIMIT_MAX = 100
# bench/api.py measures full answers (kept bodies off) and kept bodies in separate runs
EHOME_API_BODY_CACHE = os.environ.get("EHOME_API_BODY_CACHE", "1") != "0"
