"""Engagement fixtures: the CMS site, news and members (tests/cms/conftest.py), and an
empty engagement buffer (Redis keys of this test worker, or the spool directory)."""

from __future__ import annotations

import pytest

from interaction.engagement.buffer import get_buffer
from tests.cms.conftest import _fast_passwords, members, news, roles, site  # noqa: F401


@pytest.fixture(autouse=True)
def buffer():
    buf = get_buffer()
    buf.clear()
    yield buf
    buf.clear()
