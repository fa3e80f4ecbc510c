"""StreamField block choosing a MediaAsset (the CMS video/audio blocks build on it)."""

from media_pipeline.views import media_asset_chooser_viewset

MediaAssetChooserBlock = media_asset_chooser_viewset.get_block_class(
    name="MediaAssetChooserBlock", module_path="media_pipeline.blocks"
)
