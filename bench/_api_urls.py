"""URLs for bench/api.py only: the project's URLs plus Wagtail's API v2 at /api/v2/.

NewsPage gets the `api_fields` Wagtail's documentation recommends for a headless list
(the same fields an app list shows through /api/v1/news/, the cover as a rendition). This
module is imported only under bench._api_settings; production never exposes /api/v2/."""

from django.urls import path
from wagtail.api import APIField
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.images.api.fields import ImageRenditionField

from cms.models import NewsPage
from cms.rendering import COVER_SPEC
from config.urls import urlpatterns as project_urlpatterns

NewsPage.api_fields = [
    APIField("subtitle"),
    APIField("source"),
    APIField("author"),
    APIField("date"),
    APIField("summary"),
    APIField("pinned"),
    APIField("cover_image"),
    APIField("cover", serializer=ImageRenditionField(COVER_SPEC, source="cover_image")),
]

router = WagtailAPIRouter("wagtailapi")
router.register_endpoint("pages", PagesAPIViewSet)

urlpatterns = [path("api/v2/", router.urls), *project_urlpatterns]
