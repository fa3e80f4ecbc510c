"""A dropped PostgreSQL connection (server restart, failover, pg_terminate_backend) costs
no request: the next request reconnects, and a GET whose connection drops while it runs
is answered again on a new connection. Real backends of the test database are
terminated; nothing is simulated."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from django.db import close_old_connections
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from core.db import fetchone_prepared
from tests.factories import PASSWORD, member_in
from tests.procs import (
    ROOT,
    backend_pids,
    database_url,
    free_port,
    own_backend_pid,
    require_postgres,
    require_shared_database,
    terminate_backends,
    wait_for,
)

pytestmark = [pytest.mark.pg_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pg():
    require_postgres()


@pytest.fixture
def web_server(tmp_path):
    """gunicorn (one sync worker: one persistent connection, CONN_MAX_AGE=60) on the test
    database; yields (base url, the application_name of its connections)."""
    import httpx

    require_shared_database()
    app = f"ehome-test-web-{uuid.uuid4().hex[:8]}"
    port = free_port()
    log = open(tmp_path / "web.log", "wb")  # noqa: SIM115
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env["DATABASE_URL"] = database_url(app)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return proc.poll() is not None  # stop waiting if it died

    try:
        assert wait_for(up, timeout=90, step=0.3) and proc.poll() is None, (
            tmp_path / "web.log"
        ).read_text()[-3000:]
        yield base, app
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        print((tmp_path / "web.log").read_text()[-3000:])


def test_requests_after_the_servers_connection_is_terminated_succeed(org, web_server):
    import httpx

    base, app = web_server
    member = member_in(org.b1, username="reconnect")
    with httpx.Client(base_url=base, timeout=30) as http:
        login = {"username": "reconnect", "password": PASSWORD}
        token = http.post("/api/v1/auth/token/", json=login).json()["access"]
        http.headers["Authorization"] = f"Bearer {token}"
        assert http.get("/api/v1/me/").status_code == 200

        for _ in range(3):
            pids = backend_pids(app)
            assert pids, "the server holds no connection to terminate"
            terminate_backends(pids)
            r = http.get("/api/v1/me/")
            assert r.status_code == 200, r.text[:500]
            assert r.json()["member"]["member_no"] == member.member_no

        # a write (never repeated by the server) also gets a working connection
        terminate_backends(backend_pids(app))
        r = http.post("/api/v1/auth/token/", json=login)
        assert r.status_code == 200, r.text[:500]


def test_a_get_whose_connection_drops_during_the_request_is_answered_again(org, pg):
    member = member_in(org.b1)
    client = APIClient(raise_request_exception=False)
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(member.user).access_token}"
    )
    assert client.get("/api/v1/me/").status_code == 200
    # The test client skips the per-request connection check (close_old_connections), so
    # the next request's first query meets the dead connection, as a query would after a
    # connection dropped in the middle of a request.
    terminate_backends([own_backend_pid()])
    r = client.get("/api/v1/me/")
    assert r.status_code == 200, r.content[:500]
    assert r.json()["member"]["member_no"] == member.member_no


def test_prepared_statements_are_prepared_again_on_the_new_connection(pg, settings):
    settings.EHOME_DB_PREPARE = True
    sql = "SELECT %s::int + 1"
    assert fetchone_prepared(sql, [1]) == (2,)
    terminate_backends([own_backend_pid()])
    close_old_connections()  # what the start of every request (or task loop) does
    assert fetchone_prepared(sql, [41]) == (42,)


def _last_statement_of(pid: int) -> str:
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cur:
            cur.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
            return cur.fetchone()[0]
    finally:
        other.close()


def test_the_check_of_a_live_connection_sends_the_server_nothing(pg):
    """core.backends.postgresql: a reused connection is checked at the start of every
    request without the `SELECT 1` round trip of Django's own check."""
    from django.db import connection

    pid = own_backend_pid()
    with connection.cursor() as cur:
        cur.execute("SELECT 'the request before'")
    for _ in range(3):
        connection.health_check_done = False  # as at the start of each request
        connection.close_if_health_check_failed()
        assert connection.connection is not None  # kept: not closed, not replaced
    assert _last_statement_of(pid) == "SELECT 'the request before'"


def test_a_terminated_connection_is_replaced_by_the_check(pg):
    from django.db import connection

    old = own_backend_pid()
    terminate_backends([old])
    connection.health_check_done = False  # the next request's start
    connection.close_if_health_check_failed()
    assert connection.connection is None  # closed by the check, before any query failed
    assert own_backend_pid() != old  # and the next query runs on a new connection
