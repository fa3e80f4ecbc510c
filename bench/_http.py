"""A lean HTTP/1.1 client for the load benchmarks (the leading underscore keeps
`python -m bench` from running it as a benchmark).

On a 2-core machine the load generator shares the CPU with the server it measures. httpx
spends about a millisecond of CPU per request (a new connection each time, since gunicorn's
sync workers close it, plus its request/response models); a raw socket with the request
bytes built up front spends about a tenth of that, so the numbers are the server's.
Each call opens a connection, sends, reads to EOF (``Connection: close``).
"""

from __future__ import annotations

import json
import socket


class Response:
    __slots__ = ("status", "headers", "content")

    def __init__(self, status: int, headers: dict[str, str], content: bytes):
        self.status, self.headers, self.content = status, headers, content

    @property
    def status_code(self) -> int:
        return self.status

    def json(self):
        return json.loads(self.content)


def build(
    method: str, host: str, port: int, path: str, headers: dict | None = None, body=None
) -> bytes:
    """The request bytes (build once, send many times with `send`)."""
    payload = b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    if body is not None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def send(host: str, port: int, raw: bytes, *, timeout: float = 60) -> Response:
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(raw)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, content = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        content = _dechunk(content)
    return Response(int(lines[0][9:12]), headers, content)


def request(method: str, base: str, path: str, *, headers=None, json_body=None, timeout=60):
    """One request against ``base`` ("http://127.0.0.1:8000")."""
    host, port = base.removeprefix("http://").rstrip("/").split(":")
    raw = build(method, host, int(port), path, headers, json_body)
    return send(host, int(port), raw, timeout=timeout)


def _dechunk(data: bytes) -> bytes:
    out, i = [], 0
    while True:
        j = data.index(b"\r\n", i)
        size = int(data[i:j].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(data[j + 2 : j + 2 + size])
        i = j + 2 + size + 2
