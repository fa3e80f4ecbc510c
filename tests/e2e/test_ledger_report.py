"""A branch secretary submits a work-ledger report on a phone, in real Chromium: a period
not yet open is refused with the service's message on the period field and nothing is
written; the current year with an evidence file is submitted and waits for review."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.helpers import login
from tests.factories import PASSWORD, make_org_tree, user_with_role

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("browser"),  # one Chromium per run (tests/e2e/conftest.py)
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_secretary_submits_a_ledger_report_on_a_phone(live_server, browser, screenshot):
    from supervision.ledger.models import LedgerEvidence, LedgerItem, LedgerReport
    from supervision.services import setup_ensure

    org = make_org_tree()
    user_with_role(org.a1, "secretary", "ledger_sec")
    setup_ensure()
    item = LedgerItem.objects.filter(period="year", for_branch=True).order_by("order").first()
    year = timezone.now().year
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    login(page, live_server.url, "ledger_sec", PASSWORD)
    page.goto(f"{live_server.url}/supervision/ledger/")
    page.get_by_role("link", name="填报台账").click()
    form = page.get_by_test_id("ledger-form")
    expect(form).to_be_visible()
    form.get_by_label("党组织").select_option(str(org.a1.pk))
    form.get_by_label("台账事项").select_option(str(item.pk))
    form.get_by_label("周期").fill(str(year + 1))
    form.get_by_label("完成情况").fill("按期召开组织生活会，会议记录附后")
    form.get_by_role("button", name="提交报告").click()
    error = page.locator('[data-field-error="period"]')
    expect(error).to_contain_text(f"周期 {year + 1}年 尚未开始")
    assert not LedgerReport.objects.exists()
    # nothing on the page is wider than the phone
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390

    form = page.get_by_test_id("ledger-form")
    form.get_by_label("周期").fill(str(year))
    form.get_by_label("佐证材料").set_input_files(
        files=[{"name": "会议记录.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"}]
    )
    form.get_by_role("button", name="提交报告").click()
    page.wait_for_url(re.compile(r"/supervision/ledger/reports/\d+/$"))
    expect(page.get_by_test_id("report-status")).to_have_text("待审核")
    expect(page.get_by_role("link", name="会议记录.pdf")).to_be_visible()
    screenshot(page, "phone-ledger-report")
    report = LedgerReport.objects.get()
    assert (report.unit_id, report.item_id, report.period) == (org.a1.pk, item.pk, str(year))
    assert LedgerEvidence.objects.get().report == report
    context.close()
