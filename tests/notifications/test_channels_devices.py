"""/api/v1/devices/: registering, listing and unregistering the caller's own push
devices; malformed tokens are a 400 naming the field; one device per token."""

from __future__ import annotations

import pytest
from push_notifications.models import APNSDevice, GCMDevice, WebPushDevice

from tests.factories import member_in
from tests.notifications.conftest import Browser

pytestmark = pytest.mark.django_db
URL = "/api/v1/devices/"
APNS = "ab" * 32
FCM = "fcm-token:" + "Xy_9" * 20
ENDPOINT = "https://push.example.org/wpush/v2/gAAAAABk"


@pytest.fixture
def me(org):
    return member_in(org.a1, username="dev_me")


@pytest.fixture
def api(me, client_for):
    return client_for(me.user)


def webpush_body(**extra):
    b = Browser()
    return {
        "type": "webpush",
        "registration_id": ENDPOINT,
        "p256dh": b.p256dh,
        "auth": b.auth_b64,
        "browser": "FIREFOX",
        **extra,
    }


def test_register_list_update_and_unregister_each_type(api, me):
    r = api.post(URL, {"type": "apns", "registration_id": APNS.upper(), "name": "iPhone"})
    assert r.status_code == 201
    assert r.json()["registration_id"] == APNS and r.json()["active"] is True
    assert api.post(URL, {"type": "fcm", "registration_id": FCM}).status_code == 201
    assert api.post(URL, webpush_body(), format="json").status_code == 201
    listed = api.get(URL).json()["results"]
    assert {(d["type"], d["registration_id"]) for d in listed} == {
        ("apns", APNS),
        ("fcm", FCM),
        ("webpush", ENDPOINT),
    }
    assert GCMDevice.objects.get(user=me.user).cloud_message_type == "FCM"
    assert WebPushDevice.objects.get(user=me.user).browser == "FIREFOX"

    # the same token again: updated, not duplicated
    r = api.post(URL, {"type": "apns", "registration_id": APNS, "name": "新手机", "active": False})
    assert r.status_code == 200 and r.json()["name"] == "新手机" and r.json()["active"] is False
    assert APNSDevice.objects.filter(registration_id=APNS).count() == 1

    r = api.post(URL + "unregister/", {"type": "fcm", "registration_id": FCM})
    assert r.status_code == 204
    assert not GCMDevice.objects.exists()
    assert api.post(URL + "unregister/", {"type": "fcm", "registration_id": FCM}).status_code == 404


def test_a_token_registered_again_moves_to_the_new_user(api, me, org, client_for):
    api.post(URL, {"type": "fcm", "registration_id": FCM})
    other = member_in(org.b1, username="dev_other")
    r = client_for(other.user).post(URL, {"type": "fcm", "registration_id": FCM})
    assert r.status_code == 200
    assert GCMDevice.objects.get(registration_id=FCM).user == other.user
    assert api.get(URL).json()["results"] == []


def test_another_users_devices_are_not_listed_nor_removable(api, me, org, client_for):
    api.post(URL, {"type": "apns", "registration_id": APNS})
    other = client_for(member_in(org.b1, username="dev_thief").user)
    assert other.get(URL).json()["results"] == []
    r = other.post(URL + "unregister/", {"type": "apns", "registration_id": APNS})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    assert APNSDevice.objects.get(registration_id=APNS).user == me.user


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "blackberry", "registration_id": APNS}, "type"),
        ({"registration_id": APNS}, "type"),
        ({"type": "apns"}, "registration_id"),
        ({"type": "apns", "registration_id": "not-hex-" + "z" * 60}, "registration_id"),
        ({"type": "apns", "registration_id": "ab" * 10}, "registration_id"),
        ({"type": "apns", "registration_id": "a" * 65}, "registration_id"),
        ({"type": "fcm", "registration_id": "short"}, "registration_id"),
        ({"type": "fcm", "registration_id": "has spaces " * 5}, "registration_id"),
        ({"type": "fcm", "registration_id": "x" * 5000}, "registration_id"),
        (webpush_body(registration_id="http://push.example.org/x"), "registration_id"),
        (webpush_body(registration_id="not a url"), "registration_id"),
        (webpush_body(p256dh="AAAA"), "p256dh"),
        (webpush_body(p256dh="!!!not base64!!!"), "p256dh"),
        (webpush_body(auth=""), "auth"),
        (webpush_body(auth="AAAAAAAA"), "auth"),
        (webpush_body(browser="NETSCAPE"), "browser"),
        ({"type": "apns", "registration_id": APNS, "active": "maybe"}, "active"),
    ],
)
def test_malformed_input_is_a_400_naming_the_field_and_nothing_is_written(api, body, field):
    r = api.post(URL, body, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]
    assert not (
        APNSDevice.objects.exists() or GCMDevice.objects.exists() or WebPushDevice.objects.exists()
    )


def test_unregister_checks_its_input_too(api):
    r = api.post(URL + "unregister/", {"type": "apns", "registration_id": "xyz"})
    assert r.status_code == 400 and "registration_id" in r.json()["error"]["fields"]


def test_the_list_runs_a_constant_number_of_queries(api, me, django_assert_max_num_queries):
    for i in range(12):
        api.post(URL, {"type": "apns", "registration_id": f"{i:02x}" * 32})
        api.post(URL, {"type": "fcm", "registration_id": f"{FCM}{i}"})
    with django_assert_max_num_queries(8):
        assert len(api.get(URL).json()["results"]) == 24


def test_logged_out_callers_are_refused(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, {"type": "apns", "registration_id": APNS}).status_code == 401
