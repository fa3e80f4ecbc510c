"""One error base for every refusal (core.errors.DomainError), mapped once by the API's
exception handler (api.errors): a service's refusal reaches the client as its status,
code and Chinese message in the common error body, whichever app refused and whether or
not the view expected it — never as a 500."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.errors import DomainError
from organizations.models import Transfer
from organizations.transfers import transfer_start
from tests.factories import member_in

pytestmark = pytest.mark.django_db

DOMAIN_APPS = [
    "core",
    "organizations",
    "notifications",
    "media_pipeline",
    "cms",
    "elearning",
    "search",
    "dues",
]
# Exceptions that are not a refusal of what someone asked for: the media worker's own
# signals and a probe verdict stored on the asset, a search backend that is down (the
# query falls back), a decoding failure each importer turns into its own refusal, and the
# GIFT parser's signal that ends one question (its problems are already in the report).
NOT_REFUSALS = {
    "media_pipeline.ffmpeg_run.FFmpegError",
    "media_pipeline.ffmpeg_run.FFmpegAborted",
    "media_pipeline.processing.LeaseLost",
    "media_pipeline.probe.MediaRejected",
    "search.backends.BackendUnavailable",
    "core.textfile.UnsupportedEncoding",
    "elearning.exams.question_io.gift_text.Refused",
    # an SMS vendor's answer to the delivery task (retry / give up), never a user's refusal
    "notifications.channels.sms.SMSTemporaryError",
    "notifications.channels.sms.SMSRejected",
    "dues.ledger.LedgerImmutable",  # editing the ledger is a programming error, not a request
}


def _exception_classes():
    for app in DOMAIN_APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" in info.name or ".management." in info.name:
                continue
            module = importlib.import_module(info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ == info.name and issubclass(cls, Exception):
                    yield f"{cls.__module__}.{cls.__qualname__}", cls


def test_every_refusal_in_the_domain_apps_derives_from_the_one_base():
    classes = dict(_exception_classes())
    assert "elearning.errors.AcademyError" in classes  # the walk found the apps' errors
    outside = sorted(
        name
        for name, cls in classes.items()
        if not issubclass(cls, DomainError) and name not in NOT_REFUSALS
    )
    assert outside == [], f"derive these from core.errors.DomainError: {outside}"


class _TransferView(APIView):
    """What any API view does: call a service and let its refusal propagate."""

    authentication_classes: list = []
    permission_classes: list = []

    def post(self, request, member_id: int, unit_id: int):
        from organizations.models import Member, OrgUnit

        transfer_start(
            member=Member.objects.get(pk=member_id),
            started_by=None,
            to_unit=OrgUnit.objects.get(pk=unit_id),
        )
        return None


def test_a_refusal_no_view_catches_answers_its_code_not_500(org):
    member = member_in(org.a1)
    request = APIRequestFactory().post("/api/v1/anything", {}, format="json")
    response = _TransferView.as_view()(request, member_id=member.pk, unit_id=org.a1.pk)
    assert response.status_code == 400
    assert response.data == {
        "error": {
            "code": "invalid",
            "message": f"{member.name}已在“{org.a1.name}”，不能转接到党员所在的党组织",
            "fields": {},
        }
    }
    assert Transfer.objects.count() == 0


def test_the_preview_link_refusal_keeps_its_404_and_code(api_client):
    response = api_client.get("/api/v1/preview/", {"token": "forged"})
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "invalid_token", "message": "预览链接无效", "fields": {}}
    }
