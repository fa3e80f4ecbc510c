"""Publications fixtures: the site with its news channels and review workflow (the real
`cms.services.setup_ensure`), for manuscripts adopted as news."""

from __future__ import annotations

import pytest


@pytest.fixture
def news_site(db):
    from cms.services import setup_ensure

    setup_ensure()
