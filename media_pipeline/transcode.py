"""Build and run the ONE ffmpeg process that turns a probed source into HLS.

Graph (video): decode once → [fps cap] → split → scale per rung → x264 High, keyframe
every 2 s forced at the same timestamps in every rung (`-force_key_frames` + no scene-cut
keyframes) so segments line up across renditions; two more split branches make the poster
frame and the storyboard sprite. Audio: EBU R128 normalisation with the values of a
cheap ebur128 measuring pass (a plain gain, or loudnorm when the peaks need it) → AAC
stereo, muxed once as a separate audio group that doubles as the audio-only variant, plus
a low audio-only variant (AAC-LC mono, 24 kHz) for the poorest networks. Audio lessons: the same two audio variants to HLS plus an M4A download.

Only numbers computed here enter the filtergraph; the source path appears once, as an
`-i file:` input guarded by the same whitelists as the probe.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
from django.conf import settings

from media_pipeline.ffmpeg_run import Abort, FFmpegAborted, _limits, run_ffmpeg
from media_pipeline.probe import ProbeResult, ffmpeg_input_options

SEGMENT_SECONDS = 6
KEYFRAME_SECONDS = 2
AUDIO_BITRATE = 96_000  # AAC-LC stereo, speech-first; also the audio-only variant
# The low audio-only variant must stay ≤ 64 kb/s in total, MPEG-TS overhead included
# (≈ 55 kb/s measured, docs/benchmarks.md). Debian's ffmpeg has no HE-AAC encoder
# (libfdk_aac), so it is AAC-LC: mono at 24 kHz gives LC's few bits to one channel up to
# ~11 kHz, which speech (most lessons) needs, instead of two thin channels; 24 kHz halves
# the frame rate, so fewer ADTS/PES headers per second.
LOW_AUDIO_BITRATE = 48_000
LOW_AUDIO_SAMPLE_RATE = 24_000
DOWNLOAD_AUDIO_BITRATE = 128_000
LOUDNORM_TARGET = {"i": -16.0, "tp": -1.5, "lra": 11.0}
# (short side, video bitrate, maxrate) — the ladder is cut at the source's short side
LADDER = [
    (1080, 5_000_000, 5_350_000),
    (720, 2_800_000, 3_000_000),
    (480, 1_400_000, 1_500_000),
    (360, 800_000, 856_000),
]
STORYBOARD_TILE_WIDTH = 160
STORYBOARD_COLUMNS = 10
STORYBOARD_MAX_TILES = 100


@dataclass(frozen=True)
class Rung:
    name: str
    width: int
    height: int
    bitrate: int
    maxrate: int


@dataclass(frozen=True)
class Storyboard:
    interval: float
    tile_width: int
    tile_height: int
    columns: int
    rows: int
    count: int


@dataclass(frozen=True)
class Plan:
    kind: str
    duration: float
    has_audio: bool
    fps: float | None
    rungs: tuple[Rung, ...]
    poster_at: float
    storyboard: Storyboard | None


def _even(value: float) -> int:
    return max(2, int(round(value / 2.0)) * 2)


def output_fps(src_fps: float | None) -> float | None:
    """Keep the source rate up to 30 fps; halve 50/60 fps sources (phones) to save bits."""
    if not src_fps:
        return None
    fps = src_fps
    while fps > 30.5:
        fps /= 2
    return round(fps, 3)


def plan_ladder(width: int, height: int) -> list[Rung]:
    """Rungs from the source's short side down, never upscaling."""
    short = min(width, height)
    landscape = width >= height
    picked = [(h, b, m) for h, b, m in LADDER if h <= short]
    if not picked:  # tiny source: one rung at its own size, bitrate scaled by area
        h0, b0, m0 = LADDER[-1]
        scale = max(0.15, (short / h0) ** 2)
        picked = [(_even(short), int(b0 * scale), int(m0 * scale))]
    rungs = []
    for rung_short, bitrate, maxrate in picked:
        long_side = _even(max(width, height) * rung_short / short)
        w, h = (long_side, rung_short) if landscape else (rung_short, long_side)
        rungs.append(Rung(f"v{rung_short}", w, h, bitrate, maxrate))
    return rungs


def plan_for(probe: ProbeResult, kind: str) -> Plan:
    duration = probe.duration
    if kind != "video":
        return Plan(kind, duration, True, None, (), 0.0, None)
    rungs = tuple(plan_ladder(probe.width or 0, probe.height or 0))
    interval = float(max(2, math.ceil(duration / STORYBOARD_MAX_TILES)))
    count = max(1, math.ceil(duration / interval))
    tile_h = _even(STORYBOARD_TILE_WIDTH * (probe.height or 9) / (probe.width or 16))
    rows = math.ceil(count / STORYBOARD_COLUMNS)
    board = Storyboard(
        interval,
        STORYBOARD_TILE_WIDTH,
        tile_h,
        min(STORYBOARD_COLUMNS, count),
        rows,
        count,
    )
    poster_at = round(min(duration * 0.1, 5.0), 3)
    return Plan(
        kind,
        duration,
        probe.has_audio,
        output_fps(probe.frame_rate),
        rungs,
        poster_at,
        board,
    )


# --- loudness (first pass) -------------------------------------------------------------
_LOUDNORM_KEYS = ("input_i", "input_tp", "input_lra", "input_thresh", "target_offset")
_EBUR128_SUMMARY = re.compile(
    r"Integrated loudness:\s+I:\s+(?P<input_i>\S+) LUFS\s+Threshold:\s+(?P<input_thresh>\S+) LUFS"
    r"\s+Loudness range:\s+LRA:\s+(?P<input_lra>\S+) LU.*?"
    r"True peak:\s+Peak:\s+(?P<input_tp>\S+) dBFS",
    re.S,
)
# ebur128's integrated loudness when every block is under the absolute gate (silence)
_ABSOLUTE_GATE = -70.0


def measure_loudness(src: Path, *, workdir: Path, abort: Abort | None = None) -> dict:
    """EBU R128 measuring pass: an audio-only decode, cheap next to the video encode.

    Measured with the `ebur128` filter (integrated loudness and its gate threshold,
    loudness range, true peak), not with loudnorm's own first pass: loudnorm resamples
    everything to 192 kHz and runs its dynamic normaliser just to print the same input
    numbers, ≈ 4× the CPU of ebur128 (which oversamples only for the true-peak meter;
    docs/benchmarks.md, "Media pipeline"). The keys stay loudnorm's `measured_*` inputs;
    `target_offset` (loudnorm's guess at its own dynamic-mode error) is 0."""
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "info"]
    for key, value in ffmpeg_input_options().items():
        cmd += [f"-{key}", str(value)]
    cmd += ["-threads", str(settings.EHOME_MEDIA_FFMPEG_THREADS), "-i", f"file:{src}"]
    # framelog=verbose: the per-100 ms lines stay below -v info; the summary is printed
    af = "ebur128=peak=true:framelog=verbose"
    cmd += ["-map", "0:a:0", "-vn", "-sn", "-dn", "-af", af, "-f", "null", "-"]
    with subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_limits(settings.EHOME_MEDIA_FFMPEG_MEMORY_BYTES),
    ) as proc:
        if abort is not None:
            abort.register(proc)
        try:
            _, raw_err = proc.communicate(timeout=settings.EHOME_MEDIA_FFMPEG_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, raw_err = proc.communicate()
        finally:
            if abort is not None:
                abort.unregister(proc)
    if abort is not None and abort.is_set():
        raise FFmpegAborted(f"ffmpeg 已终止：{abort.reason}")
    stderr = raw_err.decode("utf-8", "replace")
    (workdir / "loudness.log").write_text(stderr[-4000:], "utf-8")
    matches = list(_EBUR128_SUMMARY.finditer(stderr))
    if proc.returncode != 0 or not matches:
        return {"skipped": "测量失败"}
    raw = matches[-1].groupdict()
    values: dict = {}
    for key in _LOUDNORM_KEYS[:4]:
        try:
            number = float(raw[key])
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            return {"skipped": "静音或无法测量", "raw": raw}
        values[key] = number
    if values["input_i"] <= _ABSOLUTE_GATE:
        return {"skipped": "静音或无法测量", "raw": raw}
    values["target_offset"] = 0.0
    return values


def _loudnorm_args(measured: dict) -> dict | None:
    if not measured or "skipped" in measured:
        return None
    t = LOUDNORM_TARGET
    return {
        "I": t["i"],
        "TP": t["tp"],
        "LRA": t["lra"],
        "measured_I": float(measured["input_i"]),
        "measured_TP": float(measured["input_tp"]),
        "measured_LRA": float(measured["input_lra"]),
        "measured_thresh": float(measured["input_thresh"]),
        "offset": float(measured["target_offset"]),
        "linear": "true",
    }


# --- the one ffmpeg process -------------------------------------------------------------
def _loudness_filter(audio, measured: dict):
    """Second pass of EBU R128 normalisation with the first pass's numbers. When a plain
    gain reaches the target without passing the true-peak ceiling (loudnorm's own
    "linear" condition) the gain is applied with `volume` — the same result without
    loudnorm's internal 192 kHz resampling; otherwise loudnorm runs with the measured
    values (dynamic mode)."""
    norm = _loudnorm_args(measured)
    if not norm:
        return audio
    gain = norm["I"] - norm["measured_I"]
    if norm["measured_TP"] + gain <= norm["TP"] and norm["measured_LRA"] <= norm["LRA"]:
        return audio.filter("volume", volume=f"{gain:.2f}dB")
    return audio.filter("loudnorm", **norm)


def _audio_chain(inp, plan: Plan, measured: dict):
    if plan.has_audio:
        audio = inp["a:0"]
    else:  # silent track so every variant has the audio group players expect
        audio = ffmpeg.input("anullsrc=r=48000:cl=stereo", f="lavfi")["a"].filter(
            "atrim", duration=round(plan.duration, 3)
        )
    audio = _loudness_filter(audio, measured)
    return audio.filter("aresample", 48000).filter(
        "aformat", sample_fmts="fltp", channel_layouts="stereo"
    )


def _low_audio(audio):
    return audio.filter("aresample", LOW_AUDIO_SAMPLE_RATE).filter(
        "aformat", sample_fmts="fltp", channel_layouts="mono"
    )


# How many rungs keep the process's thread budget for their own x264 frame threads.
THREADED_RUNGS = 2


def encoder_threads(index: int, threads: int) -> dict:
    """x264 threads of the rung at `index` (0 = top). The process has one thread budget
    (EHOME_MEDIA_FFMPEG_THREADS), not one per encoder: with every x264 on its own frame
    threads and lookahead thread, four encoders plus the decoder put a dozen busy threads
    on two cores, and the switching and cache misses cost ≈ 5 % more x264 CPU than the
    same encodes in separate processes (docs/benchmarks.md, "Media pipeline"). The top
    rungs (most of the pixels) keep their frame threads and encode in the background; the
    small rungs encode synchronously (`threads` 1, no lookahead thread) in ffmpeg's main
    thread, which would otherwise wait for them. Same output settings, same keyframes."""
    if index < THREADED_RUNGS or threads <= 1:
        return {}
    return {f"threads:v:{index}": 1}


def build_command(src: Path, out: Path, plan: Plan, measured: dict) -> list[str]:
    """argv for the single ffmpeg run, writing everything under `out`."""
    threads = settings.EHOME_MEDIA_FFMPEG_THREADS
    inp = ffmpeg.input(f"file:{src}", **ffmpeg_input_options())
    # one loudness-normalised decode feeds the stereo group, the low variant (and the
    # audio lesson's download)
    audio_split = _audio_chain(inp, plan, measured).filter_multi_output(
        "asplit", 2 if plan.kind == "video" else 3
    )
    audio, audio_low = audio_split.stream(0), _low_audio(audio_split.stream(1))
    common_out = {"map_metadata": -1, "map_chapters": -1, "threads": threads}
    outputs = []
    hls_opts = {
        "f": "hls",
        "hls_time": SEGMENT_SECONDS,
        "hls_playlist_type": "vod",
        "hls_segment_type": "mpegts",
        "hls_flags": "independent_segments",
        "hls_segment_filename": str(out / "%v" / "seg_%05d.ts"),
        "c:a": "aac",
        # output audio streams: 0 = the stereo group/variant, 1 = the low mono variant
        "b:a:0": AUDIO_BITRATE,
        "ac:a:0": 2,
        "b:a:1": LOW_AUDIO_BITRATE,
        "ac:a:1": 1,
        "ar:a:1": LOW_AUDIO_SAMPLE_RATE,
        **common_out,
    }
    if plan.kind == "video":
        video = inp["v:0"]
        if plan.fps:
            video = video.filter("fps", fps=plan.fps)
        # Cascade: each rung is scaled from the one above it (1080→720→480→360), so
        # only the top rung reads full-size frames; poster from the top rung, storyboard
        # tiles from the smallest.
        scaled = []
        current = video
        poster = sprite_src = video
        for i, rung in enumerate(plan.rungs):
            first, last = i == 0, i == len(plan.rungs) - 1
            step = current.filter("scale", rung.width, rung.height, flags="bicubic").filter(
                "format", "yuv420p"
            )
            count = 1 + (not last) + first + last  # encoder, next rung, poster, storyboard
            outs = step.filter_multi_output("split", count)
            streams = [outs.stream(j) for j in range(count)]
            scaled.append(streams.pop(0))
            if not last:
                current = streams.pop(0)
            if first:
                poster = streams.pop(0)
            if last:
                sprite_src = streams.pop(0)
        poster = poster.filter("trim", start=plan.poster_at).filter("trim", end_frame=1)
        board = plan.storyboard
        sprite = (
            sprite_src.filter("fps", fps=f"1/{board.interval:g}")
            .filter("scale", board.tile_width, board.tile_height)
            .filter("tile", f"{board.columns}x{board.rows}")
        )
        fps = plan.fps or 25.0
        gop = max(1, round(fps * KEYFRAME_SECONDS))
        video_opts = {
            "c:v": "libx264",
            "profile:v": "high",
            # ultrafast turns off CABAC/8x8dct and x264 silently drops to Baseline
            "preset": settings.EHOME_MEDIA_X264_PRESET.replace("ultrafast", "superfast"),
            "pix_fmt": "yuv420p",
            "g": gop,
            "keyint_min": gop,
            "sc_threshold": 0,
            "force_key_frames": f"expr:gte(t,n_forced*{KEYFRAME_SECONDS})",
        }
        for i, rung in enumerate(plan.rungs):
            video_opts[f"b:v:{i}"] = rung.bitrate
            video_opts[f"maxrate:v:{i}"] = rung.maxrate
            video_opts[f"bufsize:v:{i}"] = rung.maxrate * 2
            video_opts.update(encoder_threads(i, threads))
        names = [f"v:{i},agroup:aud,name:{r.name}" for i, r in enumerate(plan.rungs)]
        names += ["a:0,agroup:aud,name:audio", "a:1,name:audio_low"]
        outputs.append(
            ffmpeg.output(
                *scaled,
                audio,
                audio_low,
                str(out / "%v" / "index.m3u8"),
                var_stream_map=" ".join(names),
                **video_opts,
                **hls_opts,
            )
        )
        outputs.append(ffmpeg.output(poster, str(out / "poster.jpg"), frames=1, q=3, **common_out))
        outputs.append(
            ffmpeg.output(sprite, str(out / "storyboard.jpg"), frames=1, q=5, **common_out)
        )
    else:
        outputs.append(
            ffmpeg.output(
                audio,
                audio_low,
                str(out / "%v" / "index.m3u8"),
                var_stream_map="a:0,name:audio a:1,name:audio_low",
                **hls_opts,
            )
        )
        outputs.append(
            ffmpeg.output(
                audio_split.stream(2),
                str(out / "download.m4a"),
                **{"c:a": "aac", "b:a": DOWNLOAD_AUDIO_BITRATE, "ac": 2},
                movflags="+faststart",
                **common_out,
            )
        )
    graph = ffmpeg.merge_outputs(*outputs).global_args(
        "-nostdin",
        "-hide_banner",
        "-v",
        "error",
        "-filter_complex_threads",
        str(threads),
    )
    argv = ffmpeg.compile(graph, cmd="ffmpeg", overwrite_output=True)
    # `threads` before -i caps the decoder too
    i_pos = argv.index("-i")
    argv[i_pos:i_pos] = ["-threads", str(threads)]
    return argv


def transcode(
    src: Path,
    out: Path,
    plan: Plan,
    measured: dict,
    *,
    on_progress: Callable[[float], None] | None = None,
    abort: Abort | None = None,
) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    for rung in plan.rungs:
        (out / rung.name).mkdir(exist_ok=True)
    (out / "audio").mkdir(exist_ok=True)
    (out / "audio_low").mkdir(exist_ok=True)
    argv = build_command(src, out, plan, measured)
    run_ffmpeg(
        argv,
        log_path=out.parent / "ffmpeg.log",
        duration=plan.duration,
        on_progress=on_progress,
        abort=abort,
    )
    return argv
