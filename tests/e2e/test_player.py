"""The course player in real Chromium: hls.js plays a transcoded lesson, the storyboard
previews load, and watched intervals reach the progress service."""

from __future__ import annotations

import pytest

from elearning.models import LessonProgress
from tests.e2e.helpers import login, play_media, wait_for
from tests.factories import PASSWORD, member_in
from tests.portal import factories as f

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_video_lesson_plays_with_hls_js_and_progress_is_recorded(
    live_server, browser, screenshot, org
):
    from elearning.models import Lesson
    from media_pipeline.demo import VIDEO_TITLE
    from media_pipeline.demo import seed as media_seed
    from media_pipeline.models import MediaAsset

    media_seed()
    asset = MediaAsset.objects.get(title=VIDEO_TITLE)
    assert asset.status == "ready"
    course, _ = f.course_with_exam(org.root, lessons=0)
    lesson = Lesson.objects.create(
        course=course, title="视频课时", kind="video", media=asset, sort_order=0
    )
    member = member_in(org.b1, username="viewer")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    login(page, live_server.url, "viewer", PASSWORD)
    page.goto(f"{live_server.url}/learn/lessons/{lesson.pk}/")
    codecs_ok = page.evaluate(
        "() => window.MediaSource && MediaSource.isTypeSupported('video/mp4; codecs=\"avc1.64001f,mp4a.40.2\"')"
    )
    assert codecs_ok, "this chromium cannot decode H.264/AAC through Media Source Extensions"
    info = play_media(page, rate=2.0)
    screenshot(page, "lesson-video-played")
    assert info["engine"] == "hls.js" and info["levels"] >= 1
    assert info["levelsLoaded"] and info["frags"] > 0, info
    variant = [u for u in requests if u.endswith(".m3u8") and "master" not in u]
    segments = [u for u in requests if u.split("?")[0].endswith((".ts", ".m4s", ".mp4", ".aac"))]
    assert variant and segments, requests
    if asset.storyboard_key:
        assert info["storyboardCues"], "storyboard VTT was not loaded"

    row = wait_for(
        lambda: LessonProgress.objects.filter(
            member=member, lesson=lesson, completed_at__isnull=False
        ).first(),
        timeout=30,
        message="the lesson to complete on the server",
    )
    assert row.unique_seconds >= 0.9 * lesson.duration_seconds
    page.wait_for_selector('#lesson-progress[data-completed="1"]')
    context.close()
