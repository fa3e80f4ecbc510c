"""/api/v1/media/: playback info for a media asset, scoped to the asset's audience, and
the signed playlist proxy used when the bucket is private (see media_pipeline.selectors)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from media_pipeline.selectors import (
    access_asset_by_id,
    asset_for_token,
    playback_info,
    proxied_text,
)


class RenditionSerializer(serializers.Serializer):
    height = serializers.IntegerField()
    width = serializers.IntegerField()
    bitrate = serializers.IntegerField(help_text="峰值码率（bit/s，含音频）")
    average_bitrate = serializers.IntegerField(help_text="平均码率（bit/s，含音频）")


class AudioRenditionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="audio（立体声 96 kbit/s）或 audio_low（单声道，弱网）")
    channels = serializers.IntegerField(allow_null=True)
    bitrate = serializers.IntegerField(help_text="峰值码率（bit/s，含容器开销）")
    average_bitrate = serializers.IntegerField(help_text="平均码率（bit/s，含容器开销）")
    url = serializers.CharField(help_text="该档位的 HLS 媒体播放列表")


class PlaybackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=["video", "audio"])
    duration = serializers.FloatField(allow_null=True, help_text="时长（秒）")
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    master_url = serializers.CharField(help_text="HLS 主播放列表")
    audio_only_url = serializers.CharField(allow_null=True, help_text="纯音频 HLS（弱网）")
    poster_url = serializers.CharField(allow_null=True)
    storyboard_url = serializers.CharField(allow_null=True, help_text="缩略图 WebVTT（#xywh=）")
    download_url = serializers.CharField(allow_null=True, help_text="音频课程的 M4A 下载")
    renditions = RenditionSerializer(many=True)
    audio_renditions = AudioRenditionSerializer(many=True, help_text="纯音频档位，码率从高到低")
    expires_in = serializers.IntegerField(allow_null=True, help_text="签名链接有效期（秒）")


_error = inline_serializer(
    "MediaError",
    fields={
        "error": inline_serializer(
            "MediaErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(),
            },
        )
    },
)


class MediaPlaybackApi(APIView):
    @extend_schema(
        tags=["media"],
        summary="音视频播放信息",
        description="返回主播放列表、封面、时长、缩略图 VTT、纯音频和下载地址。"
        "只有可播放（ready）且在调用者可见范围内的音视频返回 200，其余一律 404。",
        responses={200: PlaybackSerializer, 401: _error, 404: _error},
    )
    def get(self, request, pk: int):
        asset = access_asset_by_id(request.user, pk, action="play")
        data = playback_info(asset=asset, user=request.user, request=request)
        return Response(PlaybackSerializer(data).data)


class MediaHlsProxyApi(APIView):
    """Playlists/VTT of a private-bucket asset, children rewritten to presigned URLs."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["media"],
        summary="HLS 播放列表（私有存储时的签名代理）",
        parameters=[OpenApiParameter("t", OpenApiTypes.STR, required=True, description="签名令牌")],
        responses={(200, "application/vnd.apple.mpegurl"): OpenApiTypes.STR, 404: _error},
    )
    def get(self, request, pk: int, name: str):
        asset = asset_for_token(pk, request.query_params.get("t", ""))
        if asset is None:
            raise Http404
        result = proxied_text(asset=asset, name=name, token=request.query_params["t"])
        if result is None:
            raise Http404
        text, content_type = result
        response = HttpResponse(text, content_type=content_type)
        response["Cache-Control"] = "private, max-age=60"
        return response


urlpatterns = [
    path("media/<int:pk>/", MediaPlaybackApi.as_view(), name="media-playback"),
    path("media/<int:pk>/hls/<path:name>", MediaHlsProxyApi.as_view(), name="media-hls"),
]
