"""URLs for bench/api.py only: the project's URLs plus Wagtail's API v2 at /api/v2/ —
stock (`pages/`) and tuned (`tuned/`: the same viewset with the cover renditions and the
fields the list shows prefetched, the subclass any Wagtail user would write for a feed).

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


class TunedPagesAPIViewSet(PagesAPIViewSet):
    """v2 with the N+1 look-ups a feed would hit removed: the specific NewsPage rows come
    with their cover image and its list rendition in the listing query's prefetch."""

    def get_queryset(self):
        from django.db.models import Prefetch
        from wagtail.images import get_image_model

        renditions = get_image_model().get_rendition_model().objects.filter(filter_spec=COVER_SPEC)
        return (
            NewsPage.objects.live()
            .public()
            .select_related("cover_image")
            .prefetch_related(Prefetch("cover_image__renditions", queryset=renditions))
        )


router = WagtailAPIRouter("wagtailapi")
router.register_endpoint("pages", PagesAPIViewSet)
router.register_endpoint("tuned", TunedPagesAPIViewSet)

urlpatterns = [path("api/v2/", router.urls), *project_urlpatterns]
