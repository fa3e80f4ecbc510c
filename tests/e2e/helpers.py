"""Browser steps shared by the end-to-end tests."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect


def login(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("nav.main-nav")).to_be_visible()


def logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="您已安全退出")).to_be_visible()


def play_media(page: Page, *, rate: float = 2.0, timeout: float = 90) -> dict:
    """Start the lesson's player (muted: headless autoplay policy) and let it play to the
    end at `rate`; returns what the page's player recorded (engine, playlists, fragments)."""
    page.wait_for_function("() => window.__ehomePlayers && window.__ehomePlayers.length > 0")
    page.evaluate(
        """(rate) => { const m = document.querySelector('[data-player] video, [data-player] audio');
            m.muted = true; m.playbackRate = rate; return m.play(); }""",
        rate,
    )
    page.wait_for_function(
        "() => document.querySelector('[data-player] video, [data-player] audio').currentTime > 1",
        timeout=30_000,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(
            "() => document.querySelector('[data-player] video, [data-player] audio').ended"
        ):
            break
        page.wait_for_timeout(500)
    return page.evaluate(
        """() => { const i = window.__ehomePlayers[0]; const r = i.reporter ? i.reporter.stats : null;
            return {engine: i.engine, levels: i.manifestLevels, levelsLoaded: i.levelsLoaded,
                    frags: i.fragsLoaded, errors: i.errors, reporter: r, storyboardCues: i.storyboardCues,
                    ended: document.querySelector('[data-player] video, [data-player] audio').ended}; }"""
    )


def wait_for(predicate, *, timeout: float = 30, step: float = 0.5, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {message}")
