"""Admin chooser for media assets (used by CMS video/audio blocks and by lessons)."""

from wagtail.admin.viewsets.chooser import ChooserViewSet


class MediaAssetChooserViewSet(ChooserViewSet):
    model = "media_pipeline.MediaAsset"
    icon = "media"
    choose_one_text = "选择音视频"
    choose_another_text = "选择其他音视频"
    edit_item_text = "编辑音视频"
    form_fields = []  # assets are created by upload, not from the chooser


media_asset_chooser_viewset = MediaAssetChooserViewSet("media_asset_chooser")
