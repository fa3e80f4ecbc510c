"""Sending: rows rendered from the kind's template, written once per recipient and key."""

from __future__ import annotations

import pytest

from core.errors import DomainError
from notifications.kinds import Kind, register
from notifications.models import Notification
from notifications.services import notification_send
from tests.factories import member_in

pytestmark = pytest.mark.django_db

register(
    Kind(
        code="test_hello",
        label="测试",
        title_template="您好，{name}",
        body_template="《{course}》已布置",
        mandatory=True,
    )
)


def test_send_renders_the_template_and_stores_the_link(org):
    alice, bob = member_in(org.a1, name="张三"), member_in(org.b1)
    written = notification_send(
        kind="test_hello",
        recipients=[alice, bob.pk],
        context={"name": "同志", "course": "党章"},
        link=("/api/v1/courses/1/", "/learn/courses/1/"),
        idempotency_key="k1",
    )
    assert written == 2
    n = Notification.objects.get(recipient=alice)
    assert (n.title, n.body, n.api_path, n.portal_url) == (
        "您好，同志",
        "《党章》已布置",
        "/api/v1/courses/1/",
        "/learn/courses/1/",
    )
    assert n.read_at is None


def test_the_same_key_twice_writes_one_row_per_recipient(org):
    alice, bob = member_in(org.a1), member_in(org.b1)
    args = {"kind": "announcement", "context": {"title": "开会", "body": "周五"}}
    assert notification_send(recipients=[alice], idempotency_key="weekly-1", **args) == 1
    # a retry (with one more recipient) writes only the missing row
    assert notification_send(recipients=[alice, bob], idempotency_key="weekly-1", **args) == 1
    assert notification_send(recipients=[alice, bob], idempotency_key="weekly-1", **args) == 0
    assert Notification.objects.filter(recipient=alice).count() == 1
    assert Notification.objects.count() == 2
    # another key is another message
    assert notification_send(recipients=[alice], idempotency_key="weekly-2", **args) == 1
    assert Notification.objects.filter(recipient=alice).count() == 2


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"kind": "nope"}, "nope"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"context": {"title": "x"}}, "body"),
    ],
)
def test_a_bad_send_is_refused_and_writes_nothing(org, kwargs, words):
    args = {
        "kind": "announcement",
        "recipients": [member_in(org.a1)],
        "context": {"title": "t", "body": "b"},
        "idempotency_key": "k",
    } | kwargs
    with pytest.raises(DomainError) as exc:
        notification_send(**args)
    assert words in exc.value.message
    assert not Notification.objects.exists()


def test_a_kind_code_cannot_be_registered_twice_with_other_templates():
    with pytest.raises(ValueError):
        register(Kind(code="announcement", title_template="别的"))
