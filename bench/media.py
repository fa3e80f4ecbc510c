"""Media pipeline benchmark (docs/benchmarks.md, "Media pipeline").

On a generated 60 s 1080p clip, in one run:
  (a) our pipeline: probe + loudness measuring pass + ONE ffmpeg (ladder, audio group,
      poster, storyboard) + master rewrite;
  (b) the same ladder as one hand-written ffmpeg command (split/scale/x264/AAC → HLS);
  (c) one ffmpeg run per rendition (each decodes the source again).
Every variant runs in its own child Python process; its CPU time is the user+sys delta,
over the timed section only, of the child itself (the pipeline's Python: playlists,
master) and of every ffmpeg/ffprobe it ran — the interpreter's and Django's start-up,
which every variant pays alike, are left out. Peak memory is the largest ru_maxrss among
the child's ffmpeg/ffprobe processes. (a), (b) and (c) run interleaved `--runs` times
and the medians are reported. Targets: CPU(a) ≤ 0.8 × CPU(c); wall(a) ≤ 1.05 × wall(b).

    python -m bench media [-- --seconds 60 --height 1080 --runs 3]

`--seconds 10` makes a short clip for quick iteration; the recorded result uses 60.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def make_source(path: Path, seconds: int, height: int) -> Path:
    if path.exists():
        return path
    width = height * 16 // 9
    tmp = path.with_suffix(".part.mp4")
    subprocess.run(
        [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r=30:d={seconds}",
            "-f", "lavfi", "-i", f"sine=f=440:b=2:d={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k", "-shortest", str(tmp),
        ],
        check=True,
    )  # fmt: skip
    tmp.rename(path)
    return path


def _x264_args(plan, threads: int, preset: str, index: int | None = None) -> list[str]:
    from media_pipeline.transcode import KEYFRAME_SECONDS

    gop = round((plan.fps or 25) * KEYFRAME_SECONDS)
    args = ["-c:v", "libx264", "-profile:v", "high", "-preset", preset, "-pix_fmt", "yuv420p"]
    args += ["-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0"]
    args += ["-force_key_frames", f"expr:gte(t,n_forced*{KEYFRAME_SECONDS})"]
    rungs = plan.rungs if index is None else [plan.rungs[index]]
    for i, rung in enumerate(rungs):
        args += [f"-b:v:{i}", str(rung.bitrate), f"-maxrate:v:{i}", str(rung.maxrate)]
        args += [f"-bufsize:v:{i}", str(rung.maxrate * 2)]
    return args


def _hls_args(out: Path, threads: int) -> list[str]:
    return [
        "-c:a", "aac", "-b:a", "96000", "-ac", "2", "-threads", str(threads),
        "-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod",
        "-hls_segment_filename", str(out / "%v" / "seg_%05d.ts"),
    ]  # fmt: skip


def run_variant(variant: str, src: Path, out: Path) -> dict:
    """Runs inside the child process."""
    _setup_django()
    from django.conf import settings

    from media_pipeline.playlists import write_master, write_storyboard_vtt
    from media_pipeline.probe import probe_file
    from media_pipeline.transcode import encoder_threads, measure_loudness, plan_for, transcode

    threads = settings.EHOME_MEDIA_FFMPEG_THREADS
    preset = settings.EHOME_MEDIA_X264_PRESET
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    probe = probe_file(src, kind="video")
    plan = plan_for(probe, "video")
    # CPU of the timed section only: this process's own work (the pipeline's Python) and
    # every ffmpeg/ffprobe it ran — not the interpreter's and Django's start-up, nor the
    # untimed probe above, which every variant would pay alike.
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    if variant == "a":
        probe = probe_file(src, kind="video")  # timed like the real pipeline
        measured = measure_loudness(src, workdir=out)
        transcode(src, out / "hls", plan, measured)
        write_master(out / "hls", plan)
        write_storyboard_vtt(out / "hls", plan)
    elif variant == "b":
        n = len(plan.rungs)
        graph = f"[0:v]split={n}" + "".join(f"[s{i}]" for i in range(n)) + ";"
        graph += ";".join(
            f"[s{i}]scale={r.width}:{r.height},format=yuv420p[v{i}]"
            for i, r in enumerate(plan.rungs)
        )
        maps = []
        for i in range(n):
            maps += ["-map", f"[v{i}]"]
        streams = " ".join(f"v:{i},agroup:aud" for i in range(n)) + " a:0,agroup:aud"
        (out / "hls").mkdir()
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-threads", str(threads)]
        cmd += ["-i", str(src), "-filter_complex", graph, *maps, "-map", "0:a:0"]
        cmd += _x264_args(plan, threads, preset) + _hls_args(out / "hls", threads)
        # the same per-encoder threads as (a) (after the generic -threads, which they refine)
        for i in range(n):
            for key, value in encoder_threads(i, threads).items():
                cmd += [f"-{key}", str(value)]
        cmd += ["-master_pl_name", "master.m3u8", "-var_stream_map", streams]
        cmd += [str(out / "hls" / "%v" / "index.m3u8")]
        subprocess.run(cmd, check=True)
    else:
        for i, rung in enumerate(plan.rungs):
            target = out / rung.name
            target.mkdir()
            cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-threads", str(threads)]
            cmd += ["-i", str(src), "-map", "0:v:0", "-map", "0:a:0"]
            cmd += ["-vf", f"scale={rung.width}:{rung.height},format=yuv420p"]
            cmd += _x264_args(plan, threads, preset, index=i)
            cmd += [
                "-c:a", "aac", "-b:a", "96000", "-ac", "2", "-threads", str(threads),
                "-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod",
                "-hls_segment_filename", str(target / "seg_%05d.ts"), str(target / "index.m3u8"),
            ]  # fmt: skip
            subprocess.run(cmd, check=True)
    wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    self_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = sum(
        (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        for before, after in ((self_before, self_after), (children_before, usage))
    )
    return {
        "wall": wall,
        "cpu": cpu,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "rungs": [r.height for r in plan.rungs],
        "duration": probe.duration,
    }


def measure(variant: str, src: Path, out: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "bench.media", "--child", variant, str(src), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    outer_wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # the whole child (interpreter + Django start-up included), for reference
    result["outer_cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["outer_wall"] = outer_wall
    return result


LABELS = {
    "a": "(a) our pipeline (probe+loudness+1 ffmpeg+master)",
    "b": "(b) one hand-written ffmpeg, same ladder",
    "c": "(c) one ffmpeg per rendition",
}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench media")
    parser.add_argument("--seconds", type=int, default=60, help="source clip length")
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--runs", type=int, default=3, help="rounds of (a), (b), (c)")
    parser.add_argument("--child", nargs=3, metavar=("VARIANT", "SRC", "OUT"))
    args = parser.parse_args(argv)
    if args.child:
        variant, src, out = args.child
        print(json.dumps(run_variant(variant, Path(src), Path(out))))
        return

    work = ROOT / "var" / "bench" / "media"
    work.mkdir(parents=True, exist_ok=True)
    src = make_source(work / f"src-{args.seconds}s-{args.height}p.mp4", args.seconds, args.height)
    load_before = os.getloadavg()
    runs: list[dict[str, dict]] = []
    for n in range(args.runs):  # interleaved, so a change of load hits every variant
        results = {}
        for variant in ("a", "b", "c"):
            print(f"run {n + 1}/{args.runs}: ({variant}) …", flush=True)
            results[variant] = measure(variant, src, work / f"out-{variant}")
            shutil.rmtree(work / f"out-{variant}", ignore_errors=True)
        a, b, c = results["a"], results["b"], results["c"]
        results["ratios"] = {"cpu_ac": a["cpu"] / c["cpu"], "wall_ab": a["wall"] / b["wall"]}
        print(
            f"  run {n + 1}: CPU a/b/c {a['cpu']:.1f}/{b['cpu']:.1f}/{c['cpu']:.1f} s, "
            f"wall a/b/c {a['wall']:.1f}/{b['wall']:.1f}/{c['wall']:.1f} s, "
            f"CPU(a)/CPU(c) {results['ratios']['cpu_ac']:.3f}, "
            f"wall(a)/wall(b) {results['ratios']['wall_ab']:.3f}",
            flush=True,
        )
        runs.append(results)
    load_after = os.getloadavg()

    def med(key: str, field: str) -> float:
        return statistics.median(r[key][field] for r in runs)

    duration = runs[0]["a"]["duration"]
    print(
        f"source: {args.seconds} s {args.height}p30 testsrc2+tone; ladder {runs[0]['a']['rungs']}"
    )
    print(
        f"machine: nproc={os.cpu_count()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"load average before {load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f}, "
        f"after {load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f}"
    )
    print(f"median of {len(runs)} run(s):")
    print(f"{'variant':52} {'wall s':>8} {'cpu s':>8} {'x realtime':>10} {'peak MB':>8}")
    for key in ("a", "b", "c"):
        wall = med(key, "wall")
        print(
            f"{LABELS[key]:52} {wall:8.1f} {med(key, 'cpu'):8.1f} "
            f"{duration / wall:10.2f} {med(key, 'peak_rss_mb'):8.0f}"
        )
    cpu_ac, wall_ab = med("ratios", "cpu_ac"), med("ratios", "wall_ab")
    print(
        f"CPU(a)/CPU(c)   = {cpu_ac:.3f}  (target ≤ 0.80: {'met' if cpu_ac <= 0.80 else 'NOT met'})"
    )
    print(
        f"wall(a)/wall(b) = {wall_ab:.3f}  (target ≤ 1.05: {'met' if wall_ab <= 1.05 else 'NOT met'})"
    )
    print(f"CPU(a)/CPU(b)   = {med('a', 'cpu') / med('b', 'cpu'):.3f}")
    print("per run CPU(a)/CPU(c): " + ", ".join(f"{r['ratios']['cpu_ac']:.3f}" for r in runs))
    print("per run wall(a)/wall(b): " + ", ".join(f"{r['ratios']['wall_ab']:.3f}" for r in runs))
    print("→ docs/benchmarks.md, section 'Media pipeline'")


if __name__ == "__main__":
    main(sys.argv[1:])
