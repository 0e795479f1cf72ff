"""Signed search ids, so that feedback can prove which search it belongs to.

A search id is ``<uuid hex>.<hmac>``: the HMAC-SHA256 of the uuid under the
service's secret, truncated to 128 bits and base64url-encoded. Feedback that
names a search id whose signature does not verify never reaches learning.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid


class SearchIdSigner:
    """Mint and verify signed search ids."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("signing secret must be a non-empty string")
        self._key = secret.encode()

    def _mac(self, raw: str) -> str:
        digest = hmac.new(self._key, raw.encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def mint(self) -> str:
        raw = uuid.uuid4().hex
        return f"{raw}.{self._mac(raw)}"

    def verify(self, search_id: str) -> bool:
        raw, sep, mac = search_id.partition(".")
        if not sep or len(raw) != 32:
            return False
        return hmac.compare_digest(mac, self._mac(raw))
