"""One ffmpeg pass → HLS ladder: checked with ffprobe the way a player would see it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from media_pipeline.ffmpeg_run import FFmpegError
from media_pipeline.playlists import read_media_playlist, write_master, write_storyboard_vtt
from media_pipeline.probe import probe_file
from media_pipeline.transcode import (
    build_command,
    measure_loudness,
    plan_for,
    plan_ladder,
    transcode,
)


def ffprobe_json(path: Path, *args: str) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", *args, "-of", "json", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def concat_segments(folder: Path, target: Path) -> Path:
    media = read_media_playlist(folder.parent, f"{folder.name}/index.m3u8")
    with target.open("wb") as fh:
        for uri, _, _ in media.segments:
            fh.write((folder / uri).read_bytes())
    return target


@pytest.fixture(scope="module")
def hls(clips, tmp_path_factory):
    """The 8 s 854x480 lesson transcoded once for the whole module."""
    from django.conf import settings

    original = settings.EHOME_MEDIA_X264_PRESET
    settings.EHOME_MEDIA_X264_PRESET = "superfast"  # module scope: restored below
    try:
        work = tmp_path_factory.mktemp("hls")
        probe = probe_file(clips["video"], kind="video")
        plan = plan_for(probe, "video")
        measured = measure_loudness(clips["video"], workdir=work)
        seen: list[float] = []
        transcode(clips["video"], work / "out", plan, measured, on_progress=seen.append)
        summary = write_master(work / "out", plan)
        write_storyboard_vtt(work / "out", plan)
    finally:
        settings.EHOME_MEDIA_X264_PRESET = original
    return {
        "out": work / "out",
        "plan": plan,
        "summary": summary,
        "progress": seen,
        "measured": measured,
    }


def test_ladder_never_upscales():
    assert [r.height for r in plan_ladder(1920, 1080)] == [1080, 720, 480, 360]
    assert [r.height for r in plan_ladder(1280, 720)] == [720, 480, 360]
    assert [r.height for r in plan_ladder(854, 480)] == [480, 360]
    portrait = plan_ladder(720, 1280)  # phone video: the short side decides
    assert [(r.width, r.height) for r in portrait] == [(720, 1280), (480, 854), (360, 640)]
    tiny = plan_ladder(320, 180)
    assert [(r.width, r.height) for r in tiny] == [(320, 180)]


def test_renditions_are_h264_high_and_not_upscaled(hls):
    out = hls["out"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [
        "audio",
        "audio_low",
        "v360",
        "v480",
    ]
    for name, size in (("v480", (854, 480)), ("v360", (640, 360))):
        stream = ffprobe_json(out / name / "seg_00000.ts", "-show_streams")["streams"]
        video = [s for s in stream if s["codec_type"] == "video"]
        assert len(video) == 1 and not [s for s in stream if s["codec_type"] == "audio"]
        assert video[0]["codec_name"] == "h264" and video[0]["profile"] == "High"
        assert (video[0]["width"], video[0]["height"]) == size


def test_audio_group_is_aac_stereo(hls):
    streams = ffprobe_json(hls["out"] / "audio" / "seg_00000.ts", "-show_streams")["streams"]
    assert [(s["codec_type"], s["codec_name"], s["channels"]) for s in streams] == [
        ("audio", "aac", 2)
    ]


def test_segments_are_six_seconds(hls):
    for name in ("v480", "v360", "audio", "audio_low"):
        media = read_media_playlist(hls["out"], f"{name}/index.m3u8")
        durations = [d for _, d, _ in media.segments]
        assert len(durations) == 2, durations
        assert abs(durations[0] - 6.0) < 0.1
        assert abs(sum(durations) - 8.0) < 0.15
        text = (hls["out"] / name / "index.m3u8").read_text()
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and "#EXT-X-ENDLIST" in text


def test_keyframes_every_two_seconds_aligned_across_renditions(hls, tmp_path):
    times = {}
    for name in ("v480", "v360"):
        joined = concat_segments(hls["out"] / name, tmp_path / f"{name}.ts")
        frames = ffprobe_json(
            joined,
            "-select_streams",
            "v:0",
            "-skip_frame",
            "nokey",
            "-show_entries",
            "frame=pts_time",
        )["frames"]
        times[name] = [round(float(f["pts_time"]), 2) for f in frames]
    start = times["v480"][0]
    assert [round(t - start, 2) for t in times["v480"]] == [0.0, 2.0, 4.0, 6.0]
    assert times["v480"] == times["v360"]


def test_master_playlist_carries_measured_attributes(hls):
    out = hls["out"]
    master = (out / "master.m3u8").read_text()
    assert '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud"' in master
    infs = re.findall(r"#EXT-X-STREAM-INF:(.*)\n(.*)", master)
    by_uri = {uri: dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', attrs)) for attrs, uri in infs}
    assert set(by_uri) == {
        "v480/index.m3u8",
        "v360/index.m3u8",
        "audio/index.m3u8",
        "audio_low/index.m3u8",
    }
    audio = read_media_playlist(out, "audio/index.m3u8")
    for uri, res in (("v480/index.m3u8", "854x480"), ("v360/index.m3u8", "640x360")):
        attrs = by_uri[uri]
        media = read_media_playlist(out, uri)
        assert int(attrs["BANDWIDTH"]) == media.peak_bps + audio.peak_bps
        assert int(attrs["AVERAGE-BANDWIDTH"]) == media.average_bps + audio.average_bps
        assert int(attrs["BANDWIDTH"]) >= int(attrs["AVERAGE-BANDWIDTH"]) > 0
        assert re.fullmatch(r'"avc1\.6400[0-9a-f]{2},mp4a\.40\.2"', attrs["CODECS"])
        assert attrs["RESOLUTION"] == res
        assert attrs["FRAME-RATE"] == "25.000"
        assert attrs["AUDIO"] == '"aud"'
    assert by_uri["audio/index.m3u8"]["CODECS"] == '"mp4a.40.2"'
    # level in CODECS is the one x264 actually wrote
    level = ffprobe_json(out / "v480" / "seg_00000.ts", "-show_streams")["streams"][0]["level"]
    assert by_uri["v480/index.m3u8"]["CODECS"].startswith(f'"avc1.6400{level:02x}')


LOW_AUDIO_LIMIT = 64_000  # bit/s in total: what the poorest networks abroad carry


def master_variants(out: Path) -> dict[str, dict[str, str]]:
    master = (out / "master.m3u8").read_text()
    infs = re.findall(r"#EXT-X-STREAM-INF:(.*)\n(.*)", master)
    return {uri: dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', attrs)) for attrs, uri in infs}


def real_bps(out: Path, name: str) -> float:
    """What a player downloads per second: every segment's bytes over the playlist's time."""
    media = read_media_playlist(out, f"{name}/index.m3u8")
    total = sum((out / name / uri).stat().st_size for uri, _, _ in media.segments)
    return total * 8 / media.duration


def assert_low_audio_variant(out: Path) -> dict[str, float]:
    low = master_variants(out)["audio_low/index.m3u8"]
    declared, average = int(low["BANDWIDTH"]), int(low["AVERAGE-BANDWIDTH"])
    measured = real_bps(out, "audio_low")
    assert declared <= LOW_AUDIO_LIMIT and average <= LOW_AUDIO_LIMIT, low
    assert measured <= LOW_AUDIO_LIMIT and abs(measured - average) <= 1, (measured, low)
    assert declared >= average > 0
    # its segments carry their own audio: no AUDIO group to fetch on top of it
    assert low["CODECS"] == '"mp4a.40.2"' and "AUDIO" not in low and "RESOLUTION" not in low
    streams = ffprobe_json(out / "audio_low" / "seg_00000.ts", "-show_streams")["streams"]
    assert [
        (s["codec_type"], s["codec_name"], s["profile"], s["channels"], s["sample_rate"])
        for s in streams
    ] == [("audio", "aac", "LC", 1, "24000")]
    return {"declared": declared, "average": average, "measured": measured}


def test_low_audio_variant_fits_64_kbps_with_the_container(hls):
    """The video master offers an AAC-LC mono variant that needs ≤ 64 kb/s in total
    (declared and as downloaded), listed after the stereo audio-only one."""
    out = hls["out"]
    assert_low_audio_variant(out)
    variants = master_variants(out)
    assert list(variants)[-2:] == ["audio/index.m3u8", "audio_low/index.m3u8"]
    assert int(variants["audio/index.m3u8"]["BANDWIDTH"]) > LOW_AUDIO_LIMIT  # stereo kept
    low = next(r for r in hls["summary"]["renditions"] if r["name"] == "audio_low")
    assert (low["channels"], low["playlist"], low["height"]) == (1, "audio_low/index.m3u8", None)


def test_low_audio_variant_of_a_dense_audio_lesson(tmp_path):
    """Pink noise under a voice-band tone is about the densest sound for AAC: still
    ≤ 64 kb/s, and the lesson's master lists both audio-only variants."""
    src = tmp_path / "dense.m4a"
    subprocess.run(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", "anoisesrc=d=13:c=pink:a=0.3",
            "-f", "lavfi", "-i", "sine=f=220:b=4:d=13",
            "-filter_complex", "amix=inputs=2,aformat=channel_layouts=stereo",
            "-c:a", "aac", "-b:a", "192k", str(src),
        ],
        check=True,
        timeout=120,
    )  # fmt: skip
    plan = plan_for(probe_file(src, kind="audio"), "audio")
    argv = transcode(src, tmp_path / "out", plan, measure_loudness(src, workdir=tmp_path))
    assert argv.count("-i") == 1 and argv[0] == "ffmpeg"  # still one process for all of it
    write_master(tmp_path / "out", plan)
    assert assert_low_audio_variant(tmp_path / "out")["measured"] > 40_000  # not silence
    assert list(master_variants(tmp_path / "out")) == [
        "audio/index.m3u8",
        "audio_low/index.m3u8",
    ]


def test_poster_and_storyboard(hls):
    out, plan = hls["out"], hls["plan"]
    with Image.open(out / "poster.jpg") as poster:
        assert poster.format == "JPEG" and poster.size == (854, 480)
    board = plan.storyboard
    with Image.open(out / "storyboard.jpg") as sprite:
        assert sprite.size == (board.columns * 160, board.rows * board.tile_height)
    cues = re.findall(
        r"(\S+) --> (\S+)\nstoryboard\.jpg#xywh=(\d+),(\d+),(\d+),(\d+)",
        (out / "storyboard.vtt").read_text(),
    )
    assert len(cues) == 4 and cues[0][:3] == ("00:00:00.000", "00:00:02.000", "0")
    assert cues[-1][1] == "00:00:08.000" and cues[-1][2] == "480"


def test_loudness_is_normalised_to_target(hls, tmp_path):
    assert hls["measured"]["input_i"] < -17  # the source tone is quieter than the target
    joined = concat_segments(hls["out"] / "audio", tmp_path / "audio.ts")
    after = measure_loudness(joined, workdir=tmp_path)
    assert abs(after["input_i"] - (-16.0)) < 1.5


def test_progress_reaches_the_end(hls):
    seen = hls["progress"]
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_audio_lesson_gets_audio_hls_and_m4a_download(clips, tmp_path, settings):
    probe = probe_file(clips["audio"], kind="audio")
    plan = plan_for(probe, "audio")
    transcode(
        clips["audio"], tmp_path / "out", plan, measure_loudness(clips["audio"], workdir=tmp_path)
    )
    summary = write_master(tmp_path / "out", plan)
    master = (tmp_path / "out" / "master.m3u8").read_text()
    assert "#EXT-X-MEDIA" not in master and 'CODECS="mp4a.40.2"' in master
    assert [r["name"] for r in summary["renditions"]] == ["audio", "audio_low"]
    info = ffprobe_json(tmp_path / "out" / "download.m4a", "-show_streams", "-show_format")
    assert info["format"]["format_name"].startswith("mov,mp4,m4a")
    assert [(s["codec_name"], s["channels"]) for s in info["streams"]] == [("aac", 2)]
    assert abs(float(info["format"]["duration"]) - 7.0) < 0.2


def test_video_without_audio_gets_a_silent_audio_group(clips, tmp_path, settings):
    settings.EHOME_MEDIA_X264_PRESET = "superfast"
    probe = probe_file(clips["silent_video"], kind="video")
    plan = plan_for(probe, "video")
    transcode(clips["silent_video"], tmp_path / "out", plan, {})
    write_master(tmp_path / "out", plan)
    streams = ffprobe_json(tmp_path / "out" / "audio" / "seg_00000.ts", "-show_streams")
    assert streams["streams"][0]["codec_name"] == "aac"


def test_no_user_string_reaches_the_filtergraph(clips, tmp_path):
    weird = tmp_path / "x[0:v]drawtext=text=pwn;movie=etc.mp4"
    weird.write_bytes(clips["small"].read_bytes())
    plan = plan_for(probe_file(weird, kind="video"), "video")
    argv = build_command(weird, tmp_path / "out", plan, {})
    graph = argv[argv.index("-filter_complex") + 1]
    assert "drawtext" not in graph and "movie" not in graph and str(tmp_path) not in graph
    assert argv.count("-i") == 1 and f"file:{weird}" in argv
    assert "-protocol_whitelist" in argv and "-format_whitelist" in argv
    assert argv[argv.index("-threads") + 1] == "2"


def test_memory_limit_is_enforced(clips, tmp_path, settings):
    settings.EHOME_MEDIA_FFMPEG_MEMORY_BYTES = 40 * 1024 * 1024
    plan = plan_for(probe_file(clips["small"], kind="video"), "video")
    with pytest.raises(FFmpegError):
        transcode(clips["small"], tmp_path / "out", plan, {})


def test_timeout_kills_ffmpeg(clips, tmp_path, settings):
    settings.EHOME_MEDIA_FFMPEG_TIMEOUT = 0.3
    settings.EHOME_MEDIA_X264_PRESET = "veryslow"
    plan = plan_for(probe_file(clips["video"], kind="video"), "video")
    with pytest.raises(FFmpegError, match="超过"):
        transcode(clips["video"], tmp_path / "out", plan, {})


def loudnorm_first_pass(src: Path) -> dict:
    """loudnorm's own measuring pass (what the pipeline ran before ebur128)."""
    proc = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-v", "info", "-i", str(src), "-vn"]
        + ["-af", "loudnorm=I=-16:TP=-1.5:LRA=11:print_format=json", "-f", "null", "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    text = proc.stderr.decode()
    return {k: float(v) for k, v in json.loads(text[text.rindex("{") :]).items() if "input" in k}


@pytest.mark.parametrize("clip", ["video", "audio", "dense"])
def test_loudness_measurement_agrees_with_loudnorm(clips, clip, tmp_path):
    """The cheap ebur128 pass gives loudnorm's numbers (integrated loudness, its gate,
    true peak) within 0.5 LU/dB, so the gain — and the lesson's loudness — is the same."""
    src = clips.get(clip)
    if src is None:
        src = tmp_path / "dense.m4a"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y"]
            + ["-f", "lavfi", "-i", "anoisesrc=d=6:c=pink:a=0.5"]
            + ["-f", "lavfi", "-i", "sine=f=220:b=4:d=6"]
            + ["-filter_complex", "amix=inputs=2,aformat=channel_layouts=stereo", str(src)],
            check=True,
            timeout=60,
        )
    ours, reference = measure_loudness(src, workdir=tmp_path), loudnorm_first_pass(src)
    for key in ("input_i", "input_tp", "input_thresh"):
        assert abs(ours[key] - reference[key]) <= 0.5, (key, ours, reference)
    assert ours["input_lra"] <= 11 and reference["input_lra"] <= 11  # same gain-only decision


def test_silence_is_not_normalised(clips, tmp_path):
    src = tmp_path / "silence.m4a"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi"]
        + ["-i", "anullsrc=r=48000:cl=stereo", "-t", "3", "-c:a", "aac", str(src)],
        check=True,
        timeout=60,
    )
    assert "skipped" in measure_loudness(src, workdir=tmp_path)


def test_normalised_loudness_is_within_half_an_lu(hls, tmp_path):
    joined = concat_segments(hls["out"] / "audio", tmp_path / "audio.ts")
    assert abs(loudnorm_first_pass(joined)["input_i"] - (-16.0)) <= 0.5
