"""/api/v1/lessons/<id>/progress/: a member's progress on a lesson, the busiest endpoint
(every phone reports every few seconds).

One command, two doors: the DRF view (`LessonProgressApi`) and, for the everyday report,
a path without DRF's request/response machinery (`_progress_post_fast`,
EHOME_PROGRESS_FAST_PATH; docs/benchmarks.md "Academy" has what it earns). Both parse the
body the same way (`progress_input`), build the same `ProgressCommand`
(`progress_command`), run it through `elearning.courses.progress.progress_submit` (one
store: elearning.courses.progress_store) and answer with `progress_json`.
"""

from __future__ import annotations

import functools
import json

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder as DRFJSONEncoder
from rest_framework.views import APIView
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from api.authentication import MemberJWTAuthentication, shared_authenticator
from api.errors import DomainError, domain_error_body
from api.learning.common import ERRORS, TAG, ErrorSerializer, member_required
from api.schema import shape_serializer
from elearning.courses import progress, selectors
from elearning.courses.progress import ProgressCommand, ProgressState
from elearning.courses.representations import ProgressJSON, progress_json
from elearning.errors import ProgressRejected
from organizations.logins import TOKEN_CLAIM
from organizations.selectors import member_for_user

ProgressOutSerializer = shape_serializer(ProgressJSON, "ProgressOut")


class IntervalSerializer(serializers.Serializer):
    from_s = serializers.FloatField(min_value=0)
    to_s = serializers.FloatField(min_value=0)
    rate = serializers.FloatField(default=1.0)


class ProgressInSerializer(serializers.Serializer):
    event = serializers.ChoiceField(["open", "intervals", "heartbeat"], default="intervals")
    intervals = IntervalSerializer(many=True, required=False)
    idempotency_key = serializers.CharField(max_length=64, required=False)
    sent_at = serializers.DateTimeField(required=False)


_PROGRESS_KEYS = frozenset({"event", "intervals", "idempotency_key"})
_INTERVAL_KEYS = (frozenset({"from_s", "to_s"}), frozenset({"from_s", "to_s", "rate"}))


def _plain_number(x) -> bool:
    return type(x) in (int, float) and x == x and abs(x) != float("inf")


def _progress_input_fast(data) -> dict | None:
    """The validated data `ProgressInSerializer` would return, for the well-formed body a
    phone sends every few seconds; None for anything else (the serializer then validates
    it and words the errors). A DRF serializer deep-copies its fields on every
    instantiation: on this, the busiest endpoint, that was the largest CPU cost of the
    request. tests/elearning/test_progress.py checks both agree."""
    if type(data) is not dict or not data.keys() <= _PROGRESS_KEYS:
        return None
    out = {"event": data.get("event", "intervals")}
    if out["event"] not in ("open", "intervals", "heartbeat"):
        return None
    if "idempotency_key" in data:
        key = data["idempotency_key"]
        if type(key) is not str or not 0 < len(key) <= 64 or key != key.strip() or "\x00" in key:
            return None
        if not key.isascii():  # maybe a lone surrogate: api.parsers words the refusal
            return None
        out["idempotency_key"] = key
    if "intervals" in data:
        raw = data["intervals"]
        if type(raw) is not list:
            return None
        intervals = []
        for iv in raw:
            if type(iv) is not dict or iv.keys() not in _INTERVAL_KEYS:
                return None
            lo, hi, rate = iv["from_s"], iv["to_s"], iv.get("rate", 1.0)
            if not (_plain_number(lo) and _plain_number(hi) and _plain_number(rate)):
                return None
            if lo < 0 or hi < 0:
                return None
            intervals.append({"from_s": float(lo), "to_s": float(hi), "rate": float(rate)})
        out["intervals"] = intervals
    return out


def progress_input(data) -> dict:
    """Validated progress body (fast path, else the serializer; a ValidationError → 400)."""
    fast = _progress_input_fast(data)
    if fast is not None:
        return fast
    ser = ProgressInSerializer(data=data)
    ser.is_valid(raise_exception=True)
    return ser.validated_data


def progress_command(data: dict, header_key: str | None) -> ProgressCommand:
    """The command of a validated body (`progress_input`), for both paths. An interval
    report needs its idempotency key (the Idempotency-Key header or the body's
    idempotency_key; at most 64 characters are kept) and its intervals."""
    key = header_key or data.get("idempotency_key")
    if data["event"] == "intervals":
        if not key:
            raise DomainError(
                "上报播放区间须带 Idempotency-Key 请求头或 idempotency_key 字段",
                code="idempotency_key_required",
            )
        if "intervals" not in data:
            raise serializers.ValidationError({"intervals": ["该字段是必填项。"]})
    return ProgressCommand(
        event=data["event"],
        intervals=data.get("intervals"),
        idempotency_key=(key or "")[:64],
        sent_at=data.get("sent_at"),
    )


class LessonProgressApi(APIView):
    """The hot path (phones report every few seconds): user, member, lesson, one write."""

    def _lesson(self, request, pk):
        lesson = selectors.lesson_for_member(member_required(request), pk, cached=True)
        if lesson is None:
            raise Http404
        return lesson

    @extend_schema(tags=[TAG], responses={200: ProgressOutSerializer, **ERRORS})
    def get(self, request, pk: int):
        lesson = self._lesson(request, pk)
        return Response(
            progress_json(progress.progress_get(member=member_required(request), lesson=lesson))
        )

    @extend_schema(
        tags=[TAG],
        request=ProgressInSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses={200: ProgressOutSerializer, 422: ErrorSerializer, **ERRORS},
        description=(
            "open: start the server clock; intervals: watched media ranges (batched, with an "
            "idempotency key, a retry returns duplicate=true); heartbeat: reading time."
        ),
    )
    def post(self, request, pk: int):
        lesson = self._lesson(request, pk)
        member = member_required(request)
        command = progress_command(
            progress_input(request.data), request.headers.get("Idempotency-Key")
        )
        st = progress.progress_submit(member=member, lesson=lesson, command=command)
        return Response(progress_json(st))


_progress_drf = LessonProgressApi.as_view()


def _allow_header() -> str:
    view = LessonProgressApi()
    view.head = view.get  # as View.setup() does for every request
    return ", ".join(view.allowed_methods)


_PROGRESS_ALLOW = _allow_header()


def _plain_id(claim) -> int | None:
    """The token's user id claim as the integer primary key it names (simplejwt writes it
    as a string), or None for anything else (that token takes the road that looks the
    user up as simplejwt does)."""
    if type(claim) is int:
        value = claim
    elif type(claim) is str and claim.isascii() and claim.isdigit() and len(claim) <= 18:
        value = int(claim)
    else:
        return None
    return value if 0 < value < 2**63 else None


def _folded_auth() -> bool:
    """Whether an interval batch is authorized inside its own statement (PostgreSQL; not
    with simplejwt's CHECK_REVOKE_TOKEN, a rule the statement does not know)."""
    return connection.vendor == "postgresql" and not getattr(
        jwt_settings, "CHECK_REVOKE_TOKEN", False
    )


_FAST_BODY_MAX = 64 * 1024


def json_body(data: dict) -> bytes:
    """The bytes DRF's JSONRenderer would send for `data`."""
    body = json.dumps(data, cls=DRFJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return body.encode()


def _json_response(data: dict, status_code: int = 200) -> HttpResponse:
    """The bytes and headers DRF's JSONRenderer + APIView would send for `data`."""
    response = HttpResponse(json_body(data), status=status_code, content_type="application/json")
    response["Vary"] = "Accept"
    response["Allow"] = _PROGRESS_ALLOW
    return response


def bearer_token(authorization: str):
    """The validated access token of an ``Authorization: Bearer …`` header (signature,
    type and expiry, remembered per process: no database), or None."""
    if not authorization.startswith("Bearer "):
        return None
    try:
        authenticator = shared_authenticator()
        raw = authenticator.get_raw_token(authorization.encode("iso-8859-1"))
        return authenticator.get_validated_token(raw) if raw is not None else None
    except Exception:  # noqa: BLE001 - the DRF view answers (401 and its wording)
        return None


def within_rate_limits(request) -> bool:
    """The DRF view's rate limits for `request` (its `user` and `META` are read)."""
    view = LessonProgressApi()
    return all(t.allow_request(request, view) for t in view.get_throttles())


def fast_command(body: bytes, header_key: str | None) -> ProgressCommand | None:
    """The command of a well-formed body; None when the DRF view must word a refusal."""
    try:
        data = _progress_input_fast(json.loads(body))
        if data is None:  # the serializer words what is wrong
            return None
        return progress_command(data, header_key)
    except (ValueError, RecursionError, APIException, DomainError):  # the DRF view words it
        return None


def folded_report(token, command: ProgressCommand, pk: int) -> ProgressState | None:
    """An interval batch authorized inside its own statement
    (`progress.progress_report_authorized`: the token's user active and its version
    current, a member under the lesson's audience) — the state when it was accepted;
    None when nothing was written (or the command is not such a batch): the caller then
    authenticates the usual way, which answers every other case."""
    if command.event != "intervals" or not _folded_auth():
        return None
    uid = _plain_id(token.get(jwt_settings.USER_ID_CLAIM))
    lesson = selectors.lesson_published(pk, cached=True) if uid is not None else None
    if lesson is None:
        return None
    try:
        done = progress.progress_report_authorized(
            user_id=uid,
            token_version=token.get(TOKEN_CLAIM, 0),
            lesson=lesson,
            intervals=command.intervals or [],
            idempotency_key=command.idempotency_key,
            sent_at=command.sent_at,
        )
    except ProgressRejected:  # refused by the usual road, once the user is authenticated
        return None
    return done[1] if done else None


def _progress_post_fast(request, pk: int) -> HttpResponse | None:
    """The everyday report (a phone with a Bearer token, a well-formed body, a visible
    lesson) without DRF's request/response machinery, which cost more CPU than the report
    itself on the busiest endpoint. The same token validation and rate limits run as in
    the DRF view, and the same command, store and answer; None whenever anything is
    unusual (no or bad token, a limit reached, a body needing the serializer or refused
    by `progress_command`, an invisible lesson): `LessonProgressApi` then answers, with
    its own checks and error wording. A refused report gets the error body the DRF view
    would send. tests/elearning/test_progress.py checks both paths give the same answers.

    An interval batch — nearly every report — goes to the database as ONE statement that
    also authorizes it (`folded_report`); anything but an accepted report writes nothing
    there and takes the road below, which authenticates first."""
    if request.content_type != "application/json":
        return None
    try:
        if not 0 < int(request.META.get("CONTENT_LENGTH") or 0) <= _FAST_BODY_MAX:
            return None
    except ValueError:
        return None
    token = bearer_token(request.META.get("HTTP_AUTHORIZATION", ""))
    if token is None:
        return None
    request.user = TokenUser(token)  # the rate limits' key: the token's user id
    if not within_rate_limits(request):
        return None  # the DRF view answers 429 with Retry-After
    command = fast_command(request.body, request.headers.get("Idempotency-Key"))
    if command is None:
        return None
    st = folded_report(token, command, pk)
    if st is not None:
        return _json_response(progress_json(st))
    # anything else: the user (one query), then the command's service as the DRF view
    try:
        auth = MemberJWTAuthentication().authenticate(request)
    except Exception:  # noqa: BLE001 - the DRF view answers (401 and its wording)
        return None
    if auth is None:
        return None
    request.user = auth[0]
    member = member_for_user(request.user)
    lesson = selectors.lesson_for_member(member, pk, cached=True) if member else None
    if lesson is None:
        return None
    try:
        st = progress.progress_submit(member=member, lesson=lesson, command=command)
    except ProgressRejected as exc:
        return _json_response(domain_error_body(exc), exc.status)
    return _json_response(progress_json(st))


@functools.wraps(_progress_drf)  # keeps .cls/.initkwargs: the schema documents LessonProgressApi
def lesson_progress(request, pk: int):
    if request.method == "POST" and settings.EHOME_PROGRESS_FAST_PATH:
        response = _progress_post_fast(request, pk)
        if response is not None:
            return response
    return _progress_drf(request, pk=pk)
