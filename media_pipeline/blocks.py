"""StreamField block choosing a MediaAsset (the CMS video/audio blocks build on it), and
the check that content embeds only media its author may use."""

from __future__ import annotations

from media_pipeline.admin_views import MEDIA_POLICY, media_asset_chooser_viewset
from media_pipeline.models import MediaAsset

MediaAssetChooserBlock = media_asset_chooser_viewset.get_block_class(
    name="MediaAssetChooserBlock", module_path="media_pipeline.blocks"
)


def assets_in_stream(value) -> list[MediaAsset]:
    """Every MediaAsset chosen anywhere inside a StreamField value (nested structs and
    lists included)."""
    found: list[MediaAsset] = []

    def walk(block, val):
        if val is None:
            return
        if isinstance(block, MediaAssetChooserBlock):
            if isinstance(val, MediaAsset):
                found.append(val)
            return
        children = getattr(block, "child_blocks", None)
        if hasattr(val, "raw_data") and hasattr(val, "__iter__") and children is not None:
            for child in val:  # StreamValue → StreamChild(block, value)
                walk(child.block, child.value)
        elif children is not None and hasattr(val, "get"):  # StructValue
            for name, child_block in children.items():
                walk(child_block, val.get(name))
        elif getattr(block, "child_block", None) is not None:  # ListBlock
            for item in val:
                walk(block.child_block, getattr(item, "value", item))

    stream_block = getattr(value, "stream_block", None)
    if stream_block is not None:
        walk(stream_block, value)
    return found


def media_use_errors(user, assets) -> list[str]:
    """Messages for the assets `user` may not embed (none when all are allowed)."""
    assets = [a for a in assets if a is not None and a.pk is not None]
    if user is None or not assets:
        return []
    allowed = set(
        MEDIA_POLICY.choosable(user)
        .filter(pk__in=[a.pk for a in assets])
        .values_list("pk", flat=True)
    )
    return [
        f"音视频“{a.title}”不在您可以使用的范围内（只能使用本单位及下级单位的音视频或自己上传的）"
        for a in assets
        if a.pk not in allowed
    ]
