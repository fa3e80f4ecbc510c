"""The embedded profile with /api/docs/ loading Swagger UI from a public CDN, as it did
before it was served from our own static files: what an offline install saw as a blank
page (tests/e2e/test_smoke_run.py checks that bin/smoke-run notices)."""

from tests.servers.sqlite_settings import *  # noqa: F403
from tests.servers.sqlite_settings import SPECTACULAR_SETTINGS

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "SWAGGER_UI_DIST": "https://cdn.invalid/npm/swagger-ui-dist@latest",
    "SWAGGER_UI_FAVICON_HREF": "https://cdn.invalid/npm/swagger-ui-dist@latest/favicon-32x32.png",
}
