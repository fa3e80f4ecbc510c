"""Wagtail admin screens for media assets (Chinese): list with live progress, streamed
upload with a size limit, detail with renditions and an hls.js preview, re-transcode.

Editors see — and may embed in pages and lessons — the assets of the units they hold a
role on and their own uploads (superusers: all): MEDIA_POLICY, the admin's unit-scoped
permission policy for assets, decides it for these screens and for the chooser."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from media_pipeline.models import MediaAsset
from media_pipeline.selectors import playback_info
from media_pipeline.services import AssetInputError, asset_create, asset_retranscode
from media_pipeline.views import MediaAssetChooserViewSet
from organizations.models import OrgUnit
from organizations.permissions import UnitScopedPermissionPolicy, UnitScopedViewSetMixin

MEDIA_POLICY = UnitScopedPermissionPolicy(
    MediaAsset,
    scope_field="owner_unit__path",
    model_perms=False,
    extra_q=lambda user: Q(created_by=user),
)


class ScopedMediaAssetChooserViewSet(UnitScopedViewSetMixin, MediaAssetChooserViewSet):
    scope_policy = MEDIA_POLICY


#: the chooser of the CMS video/audio blocks and of lessons (registered in wagtail_hooks)
media_asset_chooser_viewset = ScopedMediaAssetChooserViewSet("media_asset_chooser")


def assets_for_editor(user):
    return MEDIA_POLICY.scoped(user, _assets())


def _assets():
    return MediaAsset.objects.select_related("owner_unit", "audience_unit")


class MaxSizeUploadHandler(FileUploadHandler):
    """Stops reading the request as soon as the upload passes the configured limit, so
    an oversized file is never written to disk in full."""

    def __init__(self, request=None, limit: int = 0):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # the declared length already says too much: stop at the first chunk
        if content_length and content_length > self.limit + 64 * 1024:
            self.exceeded = True

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.exceeded or self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


class UploadForm(forms.Form):
    title = forms.CharField(label="标题", max_length=200, help_text="在课程和页面中显示的名称")
    kind = forms.ChoiceField(
        label="类型",
        choices=MediaAsset.Kind.choices,
        help_text="视频生成多码率 HLS；音频生成 AAC HLS 和 M4A 下载文件",
    )
    owner_unit = forms.ModelChoiceField(
        label="所属党组织", queryset=OrgUnit.objects.none(), help_text="负责此音视频的党组织"
    )
    audience_unit = forms.ModelChoiceField(
        label="可见范围",
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text="该组织及其下级组织的党员可以播放；留空则与所属党组织相同",
    )
    file = forms.FileField(label="文件", help_text="MP4、MOV、MKV、MP3、M4A、WAV 等")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = MEDIA_POLICY.unit_choices(user)
        self.fields["owner_unit"].queryset = units
        self.fields["audience_unit"].queryset = units
        limit_mb = settings.EHOME_MEDIA_MAX_UPLOAD_BYTES / 1024**2
        self.fields["file"].help_text += f"，不超过 {limit_mb:.0f} MB"


@csrf_exempt
def upload(request):
    limit = settings.EHOME_MEDIA_MAX_UPLOAD_BYTES
    handler = MaxSizeUploadHandler(request, limit)
    if request.method == "POST":
        request.upload_handlers.insert(0, handler)
    return _upload(request, handler)


@csrf_protect
def _upload(request, handler):
    if request.method == "POST":
        request.FILES  # noqa: B018 - parse the body now so the size handler has run
        if handler.exceeded:
            limit = filesizeformat(settings.EHOME_MEDIA_MAX_UPLOAD_BYTES)
            return render(
                request,
                "media_pipeline/admin/upload.html",
                {
                    "form": UploadForm(user=request.user),
                    "upload_error": f"文件超过大小上限 {limit}",
                },
                status=413,
            )
        form = UploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                asset = asset_create(
                    kind=data["kind"],
                    title=data["title"],
                    source=data["file"],
                    source_name=data["file"].name,
                    owner_unit=data["owner_unit"],
                    audience_unit=data["audience_unit"],
                    created_by=request.user,
                )
            except AssetInputError as exc:
                form.add_error("file", str(exc))
            else:
                messages.success(request, f"“{asset.title}”已上传，正在后台检测和转码")
                return redirect("media_pipeline_admin:index")
    else:
        form = UploadForm(user=request.user)
    return render(request, "media_pipeline/admin/upload.html", {"form": form})


def index(request):
    qs = assets_for_editor(request.user)
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if q:
        qs = qs.filter(title__icontains=q)
    if status in MediaAsset.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 30).get_page(request.GET.get("p"))
    return render(
        request,
        "media_pipeline/admin/index.html",
        {
            "page": page,
            "q": q,
            "status": status,
            "statuses": MediaAsset.Status.choices,
            "active": [MediaAsset.Status.UPLOADED, *MediaAsset.ACTIVE_STATUSES],
        },
    )


def status_json(request):
    """Polled by the list and detail pages: {"assets": [{id, status, label, progress}]}."""
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()][:100]
    rows = assets_for_editor(request.user).filter(pk__in=ids)
    return JsonResponse(
        {
            "assets": [
                {
                    "id": a.pk,
                    "status": a.status,
                    "label": a.get_status_display(),
                    "progress": a.progress,
                    "reason": a.reason or a.error,
                }
                for a in rows
            ]
        }
    )


# The pipeline's step keys (media_pipeline.processing) as the detail page names them,
# in the order they run.
STEP_LABELS = {
    "probe": "探测",
    "loudness": "响度测量",
    "transcode": "转码",
    "package": "打包",
    "upload": "上传",
    "total": "合计",
}


def step_timings(timings: dict) -> list[tuple[str, float]]:
    """(label, seconds) in pipeline order; an unknown step keeps its key, last."""
    order = list(STEP_LABELS)
    keys = sorted(timings, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [(STEP_LABELS.get(k, k), timings[k]) for k in keys]


def detail(request, pk: int):
    asset = MEDIA_POLICY.object_or_404(request.user, pk, action="view", queryset=_assets())
    playback = playback_info(asset=asset, request=request) if asset.is_ready else None
    return render(
        request,
        "media_pipeline/admin/detail.html",
        {"asset": asset, "playback": playback, "timings": step_timings(asset.timings)},
    )


@require_POST
def retranscode(request, pk: int):
    asset = MEDIA_POLICY.object_or_404(request.user, pk, action="change", queryset=_assets())
    if not request.user.is_staff and not request.user.is_superuser:
        raise PermissionDenied
    try:
        asset_retranscode(asset=asset)
    except AssetInputError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{asset.title}”已重新加入转码队列")
    return redirect(reverse("media_pipeline_admin:detail", args=[asset.pk]))
