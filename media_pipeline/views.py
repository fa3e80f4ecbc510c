"""The admin chooser for media assets, unscoped: it is registered only through
`media_pipeline.admin_views.ScopedMediaAssetChooserViewSet`, which limits it to the assets
the user may use (CMS video/audio blocks and lessons)."""

from wagtail.admin.viewsets.chooser import ChooserViewSet

from media_pipeline.models import MediaAsset


class MediaAssetChooserViewSet(ChooserViewSet):
    model = MediaAsset
    icon = "media"
    choose_one_text = "选择音视频"
    choose_another_text = "选择其他音视频"
    edit_item_text = "编辑音视频"
    form_fields = []  # assets are created by upload, not from the chooser
