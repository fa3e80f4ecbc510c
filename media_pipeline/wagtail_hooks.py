from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from media_pipeline import admin_views
from media_pipeline.admin_views import media_asset_chooser_viewset


@hooks.register("register_admin_viewset")
def register_media_asset_chooser():
    return media_asset_chooser_viewset


_urls = (
    [
        path("", admin_views.index, name="index"),
        path("upload/", admin_views.upload, name="upload"),
        path("status/", admin_views.status_json, name="status"),
        path("<int:pk>/", admin_views.detail, name="detail"),
        path("<int:pk>/retranscode/", admin_views.retranscode, name="retranscode"),
    ],
    "media_pipeline_admin",
)


@hooks.register("register_admin_urls")
def register_media_admin_urls():
    return [path("media-assets/", include(_urls, namespace="media_pipeline_admin"))]


@hooks.register("register_admin_menu_item")
def register_media_menu_item():
    return MenuItem("音视频", reverse("media_pipeline_admin:index"), icon_name="media", order=310)
