"""Local stand-ins for the push providers, answering the requests django-push-notifications
and the providers' SDKs build and sign themselves (tests/notifications/test_channels*.py).

- `FakeWebPush`: an HTTPS server (a self-signed certificate made here) standing in for a
  browser's push service; it records each POST and answers by the endpoint's last path
  segment ("ok" → 201, "gone" → 410, "missing" → 404, "slow" → sleeps past the client's
  timeout, "busy" → 503).
- `FakeFCM`: the OAuth2 token endpoint of a Google service account and the FCM v1 send
  endpoint over HTTP; answers by the message's token ("unregistered…" → 404 UNREGISTERED,
  "invalid…" → 400 INVALID_ARGUMENT, "unavailable…" → 503 UNAVAILABLE, else 200).
- `FakeAPNs`: HTTP/2 over TLS (the `h2` library, ALPN "h2") answering POST
  /3/device/<token> ("bad…" prefix → 400 BadDeviceToken, "dead…" → 410 Unregistered,
  else 200 with an apns-id).

Nothing here is project code; each server is started and stopped by a test fixture.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


# --- keys and certificates (made per test session, never committed) -------------------------
def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost: (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def ec_private_pem(key=None) -> tuple[bytes, ec.EllipticCurvePrivateKey]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem, key


def service_account(
    token_uri: str, project_id: str = "ehome-test"
) -> tuple[dict, rsa.RSAPrivateKey]:
    """A Google service-account key (what Firebase's console downloads) whose token_uri
    points at the fake."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": "test-key-1",
        "private_key": pem,
        "client_email": f"push@{project_id}.iam.gserviceaccount.com",
        "client_id": "100000000000000000001",
        "token_uri": token_uri,
    }
    return info, key


# --- HTTP(S) servers ------------------------------------------------------------------------
@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: bytes


@dataclass
class _Base:
    requests: list[Recorded] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None
    scheme: str = "http"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def answer(self, rec: Recorded) -> tuple[int, dict, bytes]:  # pragma: no cover
        raise NotImplementedError

    def start(self, tls: tuple[Path, Path] | None = None):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                rec = Recorded(
                    "POST",
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                fake.requests.append(rec)
                status, headers, body = fake.answer(rec)
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class FakeWebPush(_Base):
    slow_seconds: float = 3.0

    def endpoint(self, name: str) -> str:
        return f"{self.base_url}/push/{name}-{uuid.uuid4().hex[:8]}"

    def answer(self, rec):
        name = rec.path.rsplit("/", 1)[-1].split("-")[0]
        if name == "slow":
            time.sleep(self.slow_seconds)
            return 201, {}, b""
        status = {"gone": 410, "missing": 404, "busy": 503}.get(name, 201)
        return status, {"Content-Type": "text/plain"}, b"" if status == 201 else b"push error"


@dataclass
class FakeFCM(_Base):
    tokens_issued: int = 0
    assertions: list[str] = field(default_factory=list)

    def answer(self, rec):
        if rec.path == "/token":
            from urllib.parse import parse_qs

            form = parse_qs(rec.body.decode())
            self.assertions.append(form.get("assertion", [""])[0])
            self.tokens_issued += 1
            body = {
                "access_token": f"fake-{self.tokens_issued}",
                "expires_in": 3600,
                "token_type": "Bearer",
            }
            return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()
        message = json.loads(rec.body)["message"]
        token = message.get("token", "")
        if token.startswith("unregistered"):
            return self._error(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.")
        if token.startswith("invalid"):
            return self._error(
                400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "The registration token is not valid"
            )
        if token.startswith("unavailable"):
            return self._error(503, "UNAVAILABLE", "UNAVAILABLE", "The service is unavailable.")
        name = rec.path.split("/messages:send")[0].removeprefix("/v1/")
        body = {"name": f"{name}/messages/{uuid.uuid4().hex[:12]}"}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    @staticmethod
    def _error(code, status, fcm_code, message):
        body = {
            "error": {
                "code": code,
                "message": message,
                "status": status,
                "details": [
                    {
                        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                        "errorCode": fcm_code,
                    }
                ],
            }
        }
        return code, {"Content-Type": "application/json"}, json.dumps(body).encode()

    def sends(self) -> list[dict]:
        return [json.loads(r.body)["message"] for r in self.requests if r.path != "/token"]


# --- APNs: HTTP/2 over TLS ------------------------------------------------------------------
@dataclass
class APNsRequest:
    headers: dict
    body: bytes


@dataclass
class FakeAPNs:
    tls: tuple[Path, Path]
    requests: list[APNsRequest] = field(default_factory=list)
    stall: bool = False

    def start(self):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
        self.ctx.set_alpn_protocols(["h2"])
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        self._stop.set()
        self.sock.close()

    def _accept(self):
        while not self._stop.is_set():
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _answer(self, headers: dict) -> tuple[int, dict | None]:
        token = headers.get(":path", "").rsplit("/", 1)[-1]
        if token.startswith("bad"):
            return 400, {"reason": "BadDeviceToken"}
        if token.startswith("dead"):
            return 410, {"reason": "Unregistered", "timestamp": int(time.time() * 1000)}
        return 200, None

    def _serve(self, raw):
        import h2.config
        import h2.connection
        import h2.events

        try:
            conn_sock = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        conn_sock.sendall(conn.data_to_send())
        streams: dict[int, dict] = {}
        try:
            while not self._stop.is_set():
                data = conn_sock.recv(65535)
                if not data:
                    break
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        streams[event.stream_id] = {
                            "headers": {
                                (k.decode() if isinstance(k, bytes) else k): (
                                    v.decode() if isinstance(v, bytes) else v
                                )
                                for k, v in event.headers
                            },
                            "body": b"",
                        }
                    elif isinstance(event, h2.events.DataReceived):
                        streams[event.stream_id]["body"] += event.data
                        conn.acknowledge_received_data(
                            event.flow_controlled_length, event.stream_id
                        )
                    elif isinstance(event, h2.events.StreamEnded):
                        s = streams.pop(event.stream_id)
                        self.requests.append(APNsRequest(s["headers"], s["body"]))
                        if self.stall:
                            continue  # never answer: the client's timeout decides
                        status, reason = self._answer(s["headers"])
                        out = [
                            (":status", str(status)),
                            ("apns-id", s["headers"].get("apns-id", str(uuid.uuid4()))),
                        ]
                        if reason is None:
                            conn.send_headers(event.stream_id, out, end_stream=True)
                        else:
                            body = json.dumps(reason).encode()
                            conn.send_headers(
                                event.stream_id,
                                [*out, ("content-type", "application/json")],
                            )
                            conn.send_data(event.stream_id, body, end_stream=True)
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        return
                conn_sock.sendall(conn.data_to_send())
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                conn_sock.close()
            except OSError:
                pass
