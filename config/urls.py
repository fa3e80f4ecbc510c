import re

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from api.health import healthz
from api.login_throttle import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm
from core import files

# Every login form counts failures per account and per address (api.login_throttle); the
# Wagtail admin's form is set in settings (WAGTAILADMIN_USER_LOGIN_FORM).
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", include("api.urls", namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from our own static files (drf-spectacular-sidecar); the split view serves
    # its start-up script as /api/docs/?script, so the page runs under the site's CSP
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
]

# Protected files behind a short-lived signed link (admin file widgets; core/files.py).
urlpatterns += [path("files/<path:name>", files.protected_file, name="protected-file")]

if not settings.AWS_STORAGE_BUCKET_NAME and settings.MEDIA_URL.startswith("/"):
    # Local storage: Django serves the PUBLIC part of var/media/ itself (covers, images,
    # HLS outputs); every other name answers 404 here — protected files go through views
    # that check the audience. With S3 configured, media never passes through here.
    from django.urls import re_path

    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            files.public_media,
            name="public-media",
        )
    ]

# Portal pages (templates/, portal/urls.py) come before the Wagtail catch-all.
urlpatterns += [path("", include("portal.urls"))]
urlpatterns += [path("", include(wagtail_urls))]
