"""drf-spectacular hooks: the published schema is /api/v1/ only (Wagtail's admin API is
internal to the admin and not for the apps)."""


def only_api_v1(endpoints):
    return [e for e in endpoints if e[0].startswith("/api/v1/")]
