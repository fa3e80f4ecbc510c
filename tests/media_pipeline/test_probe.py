"""Probe: untrusted inputs are refused with a reason an editor understands, before any
decoder runs — and playlists/concat scripts never make ffmpeg read another file."""

from __future__ import annotations

import os
import random
import subprocess
import threading
from pathlib import Path

import pytest

from media_pipeline.probe import MediaRejected, probe_file, run_ffprobe
from tests.media_pipeline.conftest import make_clip


def rejected(path: Path, kind: str = "video") -> str:
    with pytest.raises(MediaRejected) as info:
        probe_file(path, kind=kind)
    return info.value.reason


class FifoWatch:
    """A named pipe standing in for a private local file: if any process opens it for
    reading, the writer thread gets through `open()` and `opened` is set."""

    def __init__(self, path: Path, payload: bytes = b""):
        os.mkfifo(path)
        self.path, self.payload = path, payload
        self.opened = threading.Event()
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.thread.start()

    def _write(self):
        with open(self.path, "wb") as fh:  # blocks until a reader opens the pipe
            self.opened.set()
            try:
                fh.write(self.payload)
            except BrokenPipeError:
                pass

    def close(self):
        if not self.opened.is_set():  # release the writer thread ourselves
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
            self.opened.wait(2)
            os.close(fd)  # the writer gets a broken pipe and ends
        self.thread.join(timeout=5)


def test_good_clip_is_accepted_with_its_properties(clips):
    result = probe_file(clips["video"], kind="video")
    assert (result.width, result.height) == (854, 480)
    assert result.frame_rate == 25.0
    assert result.has_audio and result.has_video
    assert 7.5 < result.duration < 8.5


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    assert "0 字节" in rejected(tmp_path / "empty.mp4")


def test_text_file(tmp_path):
    (tmp_path / "notes.mp4").write_text("学习笔记：这不是视频文件。\n" * 20, "utf-8")
    assert "文本文件" in rejected(tmp_path / "notes.mp4")


def test_garbage_binary(tmp_path):
    # fixed noise: fresh random bytes now and then look like an MP3 frame to ffprobe,
    # which is refused for its container instead (a different message)
    (tmp_path / "noise.mp4").write_bytes(random.Random(1).randbytes(64 * 1024))
    reason = rejected(tmp_path / "noise.mp4")
    assert "无法识别" in reason or "已损坏" in reason


@pytest.mark.parametrize("shape", ["moov_at_end", "faststart"])
def test_truncated_upload(tmp_path, clips, shape):
    src = clips["video"]
    if shape == "faststart":
        src = tmp_path / "fs.mp4"
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-i",
                str(clips["video"]),
                "-c",
                "copy",
                "-movflags",
                "+faststart",
                str(src),
            ],
            check=True,
        )
    data = src.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    assert "不完整" in rejected(tmp_path / "cut.mp4")


def test_audio_file_uploaded_as_video(clips):
    assert "没有视频流" in rejected(clips["audio"], kind="video")


def test_audio_file_as_audio_is_fine(clips):
    result = probe_file(clips["audio"], kind="audio")
    assert result.has_audio and result.width is None


def test_over_duration_limit(clips, settings):
    settings.EHOME_MEDIA_MAX_DURATION = 5
    assert "超过上限" in rejected(clips["video"])


def test_over_resolution_limit(clips, settings):
    settings.EHOME_MEDIA_MAX_WIDTH, settings.EHOME_MEDIA_MAX_HEIGHT = 640, 360
    assert "分辨率 854x480 超过上限 640x360" in rejected(clips["video"])


@pytest.fixture
def secret_segment(tmp_path, clips):
    """A 'private' local file (as a FIFO) that an HLS playlist or concat script names."""
    ts = tmp_path / "ts-src.ts"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(clips["small"]), "-c", "copy", "-f", "mpegts", str(ts)],
        check=True,
    )
    watch = FifoWatch(tmp_path / "secret.ts", ts.read_bytes())
    yield watch
    watch.close()


def _hls_playlist(target: Path) -> str:
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n"
        f"#EXTINF:4.0,\n{target}\n#EXT-X-ENDLIST\n"
    )


def test_hls_playlist_disguised_as_mp4_is_rejected_and_reads_nothing(tmp_path, secret_segment):
    evil = tmp_path / "lesson.mp4"
    evil.write_text(_hls_playlist(secret_segment.path))
    assert "HLS 播放列表" in rejected(evil)
    # even with the sniff bypassed, the demuxer whitelist refuses the playlist
    with pytest.raises(MediaRejected):
        run_ffprobe(evil)
    assert not secret_segment.opened.is_set(), "the referenced file was opened"


def test_hls_control_default_ffprobe_does_read_the_referenced_file(tmp_path, secret_segment):
    """Why the whitelist matters: a default ffprobe follows the playlist."""
    evil = tmp_path / "lesson.mp4"
    evil.write_text(_hls_playlist(secret_segment.path))
    subprocess.run(
        ["ffprobe", "-v", "error", str(evil)], capture_output=True, timeout=20, check=False
    )
    assert secret_segment.opened.wait(5)


def test_concat_script_disguised_as_mp4_is_rejected_and_reads_nothing(tmp_path, secret_segment):
    evil = tmp_path / "lesson.mp4"
    evil.write_text(f"ffconcat version 1.0\nfile '{secret_segment.path}'\n")
    assert "拼接脚本" in rejected(evil)
    with pytest.raises(MediaRejected):
        run_ffprobe(evil)
    assert not secret_segment.opened.is_set()


def test_playlist_hidden_behind_a_nul_byte_still_cannot_read(tmp_path, secret_segment):
    """The sniff treats data with NUL bytes as binary; the whitelist still stops it."""
    evil = tmp_path / "lesson.mp4"
    evil.write_bytes(b"\x00" + _hls_playlist(secret_segment.path).encode())
    assert rejected(evil)
    assert not secret_segment.opened.is_set()


def test_mkv_with_many_streams_is_refused(tmp_path, clips):
    many = tmp_path / "many.mkv"
    maps = []
    for _ in range(20):
        maps += ["-map", "0:a"]
    make_clip(many, audio="440", seconds=1, extra=maps)
    assert "无法识别" in rejected(many, kind="audio")  # max_streams 16
