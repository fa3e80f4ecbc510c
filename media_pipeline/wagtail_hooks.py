from wagtail import hooks

from media_pipeline.views import media_asset_chooser_viewset


@hooks.register("register_admin_viewset")
def register_media_asset_chooser():
    return media_asset_chooser_viewset
