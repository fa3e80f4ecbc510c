"""Offline and in-China installs: the admin never asks an outside site whether a Wagtail
upgrade exists (WAGTAIL_ENABLE_UPDATE_CHECK off), so no superuser sees a "Wagtail
upgrade available" banner and no browser fetch goes to releases.wagtail.org."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_the_admin_dashboard_has_no_upgrade_check(client, django_user_model):
    assert settings.WAGTAIL_ENABLE_UPDATE_CHECK is False
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw-12345")
    client.force_login(admin)
    page = client.get("/admin/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "w-upgrade" not in html and "w-panel-upgrade" not in html
    assert "releases.wagtail.org" not in html and "Wagtail upgrade available" not in html


def test_the_upgrade_banner_would_show_were_the_check_on(client, django_user_model, settings):
    """What the test above looks for is what Wagtail renders when the check is on."""
    settings.WAGTAIL_ENABLE_UPDATE_CHECK = True
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw-12345")
    client.force_login(admin)
    assert "w-upgrade" in client.get("/admin/").content.decode()
