"""Write the playlists players actually need.

ffmpeg 5.1's master playlist guesses BANDWIDTH from the configured bitrate, omits
AVERAGE-BANDWIDTH and FRAME-RATE, and lists no proper audio-only variant for an audio
group. So after the encode we measure: segment sizes and durations give peak (BANDWIDTH)
and mean (AVERAGE-BANDWIDTH) bit rates, the SPS at the start of each rung's first segment
gives the real H.264 profile/constraints/level (CODECS `avc1.64xxxx`) and resolution
(parsed in Python, `h264_sps`; ffprobe only if it cannot be read), and the master is
written from those numbers. Media playlists are checked to be VOD (`#EXT-X-PLAYLIST-TYPE:VOD`, ENDLIST).

Two audio-only variants close the master: the stereo group itself (96 kb/s) and the low
mono one (≤ 64 kb/s with the container). The low one names no AUDIO group: its segments
carry their own audio, so a player on it never also fetches the stereo group.
"""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

from media_pipeline.h264_sps import first_sps_in_ts
from media_pipeline.transcode import Plan

AUDIO_GROUP = "aud"
AUDIO_CODEC = "mp4a.40.2"


@dataclass
class MediaPlaylist:
    uri: str  # relative to the master
    segments: list[tuple[str, float, int]]  # (uri, duration, bytes)

    @property
    def duration(self) -> float:
        return sum(d for _, d, _ in self.segments)

    @property
    def average_bps(self) -> int:
        total = sum(b for _, _, b in self.segments)
        return int(math.ceil(total * 8 / self.duration)) if self.duration else 0

    @property
    def peak_bps(self) -> int:
        rates = [b * 8 / d for _, d, b in self.segments if d > 0.5]
        if not rates:  # only sub-second segments: use them anyway
            rates = [b * 8 / max(d, 0.001) for _, d, b in self.segments]
        return int(math.ceil(max(rates))) if rates else 0


def read_media_playlist(root: Path, uri: str) -> MediaPlaylist:
    """Parse a media playlist and make sure it is a complete VOD playlist."""
    path = root / uri
    lines = path.read_text("utf-8").splitlines()
    segments: list[tuple[str, float, int]] = []
    pending: float | None = None
    for line in lines:
        line = line.strip()
        if line.startswith("#EXTINF:"):
            pending = float(line[len("#EXTINF:") :].split(",", 1)[0])
        elif line and not line.startswith("#") and pending is not None:
            size = (path.parent / line).stat().st_size
            segments.append((line, pending, size))
            pending = None
    if not segments:
        raise ValueError(f"{uri} 没有分片")
    out = [ln for ln in lines if ln.strip()]
    if "#EXT-X-PLAYLIST-TYPE:VOD" not in out:
        out.insert(1, "#EXT-X-PLAYLIST-TYPE:VOD")
    if "#EXT-X-ENDLIST" not in out:
        out.append("#EXT-X-ENDLIST")
    path.write_text("\n".join(out) + "\n", "utf-8")
    return MediaPlaylist(uri, segments)


def probe_video_segment(path: Path) -> dict:
    proc = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-protocol_whitelist",
            "file",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,profile,level,width,height,avg_frame_rate",
            "-of",
            "json",
            f"file:{path}",
        ],
        capture_output=True,
        timeout=30,
        check=True,
    )
    streams = json.loads(proc.stdout).get("streams") or [{}]
    return streams[0]


def avc1_codec(profile: str | None, level: int | None) -> str:
    profile_idc = {"High": 0x64, "Main": 0x4D, "Baseline": 0x42, "Constrained Baseline": 0x42}
    idc = profile_idc.get(profile or "High", 0x64)
    constraints = 0x40 if profile == "Constrained Baseline" else 0x00
    return f"avc1.{idc:02x}{constraints:02x}{int(level or 40):02x}"


def _video_stream_info(segment: Path) -> tuple[str, int | None, int | None]:
    """CODECS string and size of the rung: from the SPS the encoder wrote at the start of
    the segment, read in Python; ffprobe only if that SPS cannot be read."""
    sps = first_sps_in_ts(segment)
    if sps is not None:
        return sps.codec, sps.width, sps.height
    info = probe_video_segment(segment)
    return (
        avc1_codec(info.get("profile"), info.get("level")),
        int(info.get("width") or 0) or None,
        int(info.get("height") or 0) or None,
    )


def write_master(out: Path, plan: Plan) -> dict:
    """Rewrite `out/master.m3u8` from measured numbers; returns the rendition summary."""
    audio = read_media_playlist(out, "audio/index.m3u8")
    lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
    renditions = []
    if plan.kind == "video":
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{AUDIO_GROUP}",NAME="普通话",LANGUAGE="zh",'
            f'DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="{audio.uri}"'
        )
        variants = []
        for rung in plan.rungs:
            media = read_media_playlist(out, f"{rung.name}/index.m3u8")
            codecs, width, height = _video_stream_info(out / rung.name / media.segments[0][0])
            width, height = width or rung.width, height or rung.height
            peak = media.peak_bps + audio.peak_bps
            average = media.average_bps + audio.average_bps
            variants.append((peak, average, codecs, width, height, media, rung))
        variants.sort(key=lambda v: v[0])
        for peak, average, codecs, width, height, media, rung in variants:
            attrs = [
                f"BANDWIDTH={peak}",
                f"AVERAGE-BANDWIDTH={average}",
                f'CODECS="{codecs},{AUDIO_CODEC}"',
                f"RESOLUTION={width}x{height}",
                f"FRAME-RATE={plan.fps or 25.0:.3f}",
                f'AUDIO="{AUDIO_GROUP}"',
            ]
            lines += ["#EXT-X-STREAM-INF:" + ",".join(attrs), media.uri]
            renditions.append(
                {
                    "name": rung.name,
                    "width": width,
                    "height": height,
                    "bitrate": peak,
                    "average_bitrate": average,
                    "target_bitrate": rung.bitrate,
                    "codecs": f"{codecs},{AUDIO_CODEC}",
                    "playlist": media.uri,
                    "segments": len(media.segments),
                }
            )
    # the audio-only variants: what a member on a bad network still gets
    low = read_media_playlist(out, "audio_low/index.m3u8")
    for name, media, channels, group in (
        ("audio", audio, 2, plan.kind == "video"),
        ("audio_low", low, 1, False),
    ):
        lines += [
            "#EXT-X-STREAM-INF:"
            + ",".join(
                [
                    f"BANDWIDTH={media.peak_bps}",
                    f"AVERAGE-BANDWIDTH={media.average_bps}",
                    f'CODECS="{AUDIO_CODEC}"',
                ]
                + ([f'AUDIO="{AUDIO_GROUP}"'] if group else [])
            ),
            media.uri,
        ]
        renditions.append(
            {
                "name": name,
                "width": None,
                "height": None,
                "channels": channels,
                "bitrate": media.peak_bps,
                "average_bitrate": media.average_bps,
                "codecs": AUDIO_CODEC,
                "playlist": media.uri,
                "segments": len(media.segments),
            }
        )
    (out / "master.m3u8").write_text("\n".join(lines) + "\n", "utf-8")
    return {"renditions": renditions, "audio_playlist": audio.uri}


def _ts(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def write_storyboard_vtt(out: Path, plan: Plan, image_name: str = "storyboard.jpg") -> None:
    """WebVTT cues pointing into the sprite with media fragments (`#xywh=`)."""
    board = plan.storyboard
    lines = ["WEBVTT", ""]
    for i in range(board.count):
        start = i * board.interval
        if start >= plan.duration:
            break
        end = min((i + 1) * board.interval, plan.duration)
        x = (i % board.columns) * board.tile_width
        y = (i // board.columns) * board.tile_height
        lines += [
            f"{_ts(start)} --> {_ts(end)}",
            f"{image_name}#xywh={x},{y},{board.tile_width},{board.tile_height}",
            "",
        ]
    (out / "storyboard.vtt").write_text("\n".join(lines), "utf-8")
