"""The master's CODECS and RESOLUTION come from the SPS parsed in Python: it must say
what ffprobe (and so a player) reads from the same segment."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from media_pipeline.h264_sps import first_sps_in_ts
from media_pipeline.playlists import avc1_codec

CASES = [
    # size, profile, pixel format, extra x264 options
    ("854x480", "high", "yuv420p", []),  # 480 is not a multiple of 16: cropped
    ("360x640", "main", "yuv420p", []),  # portrait
    ("426x240", "high422", "yuv422p", []),
    ("640x360", "high", "yuv420p", ["-x264-params", "cqm=jvt"]),  # scaling lists in the SPS
    ("720x576", "high", "yuv420p", ["-flags", "+ildct+ilme"]),  # field coding
]


@pytest.mark.parametrize("size,profile,pix_fmt,extra", CASES)
def test_sps_matches_ffprobe(tmp_path, size, profile, pix_fmt, extra):
    seg = tmp_path / "seg.ts"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi"]
        + ["-i", f"testsrc2=s={size}:r=25:d=0.4", "-c:v", "libx264", "-preset", "veryfast"]
        + ["-profile:v", profile, "-pix_fmt", pix_fmt, *extra, "-f", "mpegts", str(seg)],
        check=True,
        timeout=60,
    )
    probed = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0", "-of", "json"]
            + ["-show_entries", "stream=profile,level,width,height", str(seg)],
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout
    )["streams"][0]
    sps = first_sps_in_ts(seg)
    assert sps is not None
    assert (sps.width, sps.height) == (probed["width"], probed["height"])
    assert sps.level_idc == probed["level"]
    idc = {"High": 100, "Main": 77, "High 4:2:2": 122}[probed["profile"]]
    assert sps.profile_idc == idc
    if probed["profile"] == "High":  # what every rung is: the string ffprobe's fields give
        assert sps.codec == avc1_codec(probed["profile"], probed["level"])
    if probed["profile"] == "Main":  # x264 marks Main streams as constraint_set1 (0x40)
        assert sps.codec == f"avc1.4d40{probed['level']:02x}"


def test_not_a_transport_stream_gives_none(tmp_path):
    junk = tmp_path / "junk.ts"
    junk.write_bytes(b"\x47" + bytes(1000))
    assert first_sps_in_ts(junk) is None
    text = tmp_path / "text.ts"
    text.write_text("#EXTM3U\n")
    assert first_sps_in_ts(Path(text)) is None
