"""Inspect an uploaded file with ffprobe before anything decodes it.

An upload is untrusted. A default ffmpeg happily opens an "mp4" that is really an HLS
playlist or an ffconcat script and then reads whatever local files (or URLs) that text
names. So the probe runs with:
- a sniff of the first bytes (playlists, concat scripts and other text are refused before
  any demuxer sees them);
- `-format_whitelist` of real container formats and `-protocol_whitelist file` (even if the
  sniff were fooled, the hls/concat demuxers are not allowed and nothing but the one file
  may be opened);
- bounded `probesize`/`analyzeduration`/`max_streams` and a timeout;
- `-count_packets`, which demuxes the whole file cheaply and exposes truncation.
The same whitelists are applied to the transcoding input (see `ffmpeg_input_options`).
"""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

# Container demuxers a phone, camera or editor actually produces. Deliberately absent:
# hls, concat, ffconcat, image2, lavfi, tee, data/text formats, anything with a protocol.
FORMAT_WHITELIST = (
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mp3,wav,ogg,aac,flac,asf,"
    "mpeg,mpegvideo,h264,hevc,amr,w64,aiff,caf"
)
PROTOCOL_WHITELIST = "file"
PROBESIZE = 50_000_000
ANALYZEDURATION = 20_000_000  # microseconds
MAX_STREAMS = 16


def ffmpeg_input_options() -> dict:
    """Demuxer options for every ffmpeg/ffprobe input that comes from a user."""
    return {
        "protocol_whitelist": PROTOCOL_WHITELIST,
        "format_whitelist": FORMAT_WHITELIST,
        "probesize": PROBESIZE,
        "analyzeduration": ANALYZEDURATION,
        "max_streams": MAX_STREAMS,
    }


class MediaRejected(Exception):
    """The input is not acceptable; `reason` is shown to the editor (Chinese)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class ProbeResult:
    format_name: str
    duration: float
    size: int
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    has_video: bool = False
    has_audio: bool = False
    audio_channels: int | None = None
    rotation: int = 0
    raw: dict = field(default_factory=dict, repr=False)

    def as_json(self) -> dict:
        return {
            "format_name": self.format_name,
            "duration": self.duration,
            "size": self.size,
            "width": self.width,
            "height": self.height,
            "frame_rate": self.frame_rate,
            "video_codec": self.video_codec,
            "audio_codec": self.audio_codec,
            "has_video": self.has_video,
            "has_audio": self.has_audio,
            "audio_channels": self.audio_channels,
            "rotation": self.rotation,
        }


def sniff(path: Path) -> None:
    """Refuse empty files, playlists, concat scripts and text before ffprobe runs."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise MediaRejected("找不到源文件")
    if size == 0:
        raise MediaRejected("文件为空（0 字节），请重新上传")
    with path.open("rb") as fh:
        head = fh.read(4096)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    hls_reason = "文件内容是 HLS 播放列表（m3u8）而不是音视频，可能引用其他文件，已拒绝"
    concat_reason = "文件内容是 ffmpeg 拼接脚本（concat）而不是音视频，可能引用其他文件，已拒绝"
    if stripped[:7].upper() == b"#EXTM3U":
        raise MediaRejected(hls_reason)
    if stripped[:8].lower() == b"ffconcat":
        raise MediaRejected(concat_reason)
    if b"\x00" in head:
        return  # binary: the demuxer whitelist decides
    lines = [line.strip() for line in head.splitlines()]
    if any(line.startswith((b"#EXT-X-", b"#EXTINF")) for line in lines):
        raise MediaRejected(hls_reason)
    if any(line.startswith((b"file ", b"file\t")) for line in lines):
        raise MediaRejected(concat_reason)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not a multibyte char cut at the end: binary
            return
    raise MediaRejected("文件是文本文件，不是音视频")


def _fraction(value: str | None) -> float | None:
    if not value or value in ("0/0", "N/A"):
        return None
    try:
        if "/" in value:
            num, den = value.split("/", 1)
            return float(num) / float(den) if float(den) else None
        return float(value)
    except (ValueError, ZeroDivisionError):
        return None


def _float(value) -> float | None:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def run_ffprobe(path: Path) -> tuple[dict, str]:
    """ffprobe under the whitelists; returns (json, stderr). Raises MediaRejected when
    ffprobe refuses the file."""
    opts = ffmpeg_input_options()
    cmd = ["ffprobe", "-v", "error", "-hide_banner"]
    for key, value in opts.items():
        cmd += [f"-{key}", str(value)]
    cmd += [
        "-count_packets",
        "-show_format",
        "-show_streams",
        "-of",
        "json",
        "-i",
        f"file:{path}",
    ]
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            timeout=settings.EHOME_MEDIA_FFPROBE_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise MediaRejected("文件检测超时，文件可能已损坏")
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        if "moov atom not found" in stderr:
            raise MediaRejected("文件不完整或已损坏（找不到 moov 索引），可能上传中断，请重新上传")
        if "not on whitelist" in stderr or "whitelist" in stderr:
            raise MediaRejected("文件格式不在允许的音视频容器之列，已拒绝")
        raise MediaRejected("无法识别的音视频文件，文件可能已损坏或格式不受支持")
    try:
        data = json.loads(proc.stdout or b"{}")
    except json.JSONDecodeError:
        raise MediaRejected("无法识别的音视频文件")
    return data, stderr


def probe_file(path: Path, *, kind: str) -> ProbeResult:
    """Probe `path` for an asset of `kind` ("video"/"audio") and apply the limits."""
    path = Path(path)
    sniff(path)
    data, stderr = run_ffprobe(path)
    fmt = data.get("format") or {}
    format_name = fmt.get("format_name") or ""
    allowed = set(FORMAT_WHITELIST.split(","))
    if not format_name or not set(format_name.split(",")) <= allowed:
        raise MediaRejected(f"不支持的容器格式：{format_name or '未知'}")
    streams = data.get("streams") or []
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video"
        and not (s.get("disposition") or {}).get("attached_pic")
        and s.get("codec_name") not in (None, "mjpeg", "png")
    ]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    if not videos and not audios:
        raise MediaRejected("文件中没有音频或视频流")
    if kind == "video" and not videos:
        raise MediaRejected("文件中没有视频流；如果是音频课程，请选择“音频”类型上传")
    if kind == "audio" and not audios:
        raise MediaRejected("文件中没有音频流")

    for s in streams:
        expected = _float(s.get("nb_frames"))
        read = _float(s.get("nb_read_packets"))
        if expected and read is not None and read < expected * 0.98:
            raise MediaRejected("文件不完整（数据被截断），可能上传中断，请重新上传")
    if "partial file" in stderr:
        raise MediaRejected("文件不完整（数据被截断），可能上传中断，请重新上传")

    durations = [_float(fmt.get("duration"))]
    durations += [_float(s.get("duration")) for s in videos + audios]
    duration = max((d for d in durations if d), default=None)
    if not duration or duration < 0.5:
        raise MediaRejected("无法确定时长或时长过短（少于 0.5 秒），文件可能已损坏")
    max_duration = settings.EHOME_MEDIA_MAX_DURATION
    if duration > max_duration:
        raise MediaRejected(f"时长 {duration / 60:.1f} 分钟，超过上限 {max_duration / 60:.0f} 分钟")

    result = ProbeResult(
        format_name=format_name,
        duration=round(duration, 3),
        size=path.stat().st_size,
        has_video=bool(videos),
        has_audio=bool(audios),
        raw=data,
    )
    if audios:
        result.audio_codec = audios[0].get("codec_name")
        result.audio_channels = audios[0].get("channels")
    if videos and kind == "video":
        v = videos[0]
        width, height = int(v.get("width") or 0), int(v.get("height") or 0)
        if not width or not height:
            raise MediaRejected("视频流没有有效的分辨率，文件可能已损坏")
        rotation = 0
        for side in v.get("side_data_list") or []:
            if "rotation" in side:
                rotation = int(_float(side["rotation"]) or 0)
        rotation = rotation % 360
        if rotation in (90, 270):
            width, height = height, width
        max_w, max_h = settings.EHOME_MEDIA_MAX_WIDTH, settings.EHOME_MEDIA_MAX_HEIGHT
        if max(width, height) > max(max_w, max_h) or min(width, height) > min(max_w, max_h):
            raise MediaRejected(f"分辨率 {width}x{height} 超过上限 {max_w}x{max_h}")
        fps = _fraction(v.get("avg_frame_rate")) or _fraction(v.get("r_frame_rate")) or 25.0
        if fps > 240:
            fps = 25.0
        result.width, result.height = width, height
        result.frame_rate = round(fps, 3)
        result.video_codec = v.get("codec_name")
        result.rotation = rotation
    return result
