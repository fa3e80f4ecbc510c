"""Share-link tokens: the link is its own record, so creating one writes no row.

A token packs the sharer (member and unit at share time), the item and a random nonce,
followed by a truncated HMAC-SHA256 under a key derived from SECRET_KEY; base64url, 38
characters. A token whose signature does not match (made up, cut, altered) is unknown:
`/s/<token>` answers 404 and counts nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct
from dataclasses import dataclass

from django.conf import settings

from interaction.engagement.items import KINDS

_BODY = struct.Struct(">QIB4s")  # member, unit, kind index, nonce
_MAC_BYTES = 11
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")


@dataclass(frozen=True)
class ShareLink:
    member_id: int
    unit_id: int
    kind: str
    item_id: int


def _key() -> bytes:
    return hashlib.sha256(b"ehome.interaction.share:" + settings.SECRET_KEY.encode()).digest()


def _mac(body: bytes) -> bytes:
    return hmac.new(_key(), body, hashlib.sha256).digest()[:_MAC_BYTES]


def token_make(*, member_id: int, unit_id: int, kind: str, item_id: int) -> str:
    body = _BODY.pack(member_id, unit_id, KINDS.index(kind), os.urandom(4))
    body += struct.pack(">Q", item_id)
    return base64.urlsafe_b64encode(body + _mac(body)).decode().rstrip("=")


def token_read(token: str) -> ShareLink | None:
    """The link a token stands for, or None for anything that is not a token we made."""
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        return None  # also NUL and control characters: b64decode would skip them
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _BODY.size + 8 + _MAC_BYTES:
        return None
    body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(body)):
        return None
    member_id, unit_id, kind_index, _nonce = _BODY.unpack(body[: _BODY.size])
    (item_id,) = struct.unpack(">Q", body[_BODY.size :])
    if kind_index >= len(KINDS):
        return None
    return ShareLink(member_id, unit_id, KINDS[kind_index], item_id)
