"""Listing parameters shared by every list route: ``per_page`` clamping and opaque cursors.

A cursor is the unpadded URL-safe base64 of a small JSON document holding the (name, id) of the
last item of the previous page. Clients must treat it as opaque; anything that does not decode
to that shape is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json

from starlette.datastructures import QueryParams
from starlette.requests import Request

from ..datastore import ListKey
from ..errors import InvalidCursor

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
CURSOR_VERSION = 1


def per_page(params: QueryParams) -> int:
    """Missing, non-numeric, zero or negative give the default; larger than the max is clamped."""
    try:
        value = int(params.get("per_page", ""))
    except ValueError:
        return DEFAULT_PER_PAGE
    if value <= 0:
        return DEFAULT_PER_PAGE
    return min(value, MAX_PER_PAGE)


def encode_cursor(key: ListKey) -> str:
    raw = json.dumps([CURSOR_VERSION, key[0], key[1]], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode("utf-8")).rstrip(b"=").decode("ascii")


def decode_cursor(text: str | None) -> ListKey | None:
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        version, name, item_id = json.loads(raw.decode("utf-8"))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor(f"Invalid cursor: {text[:100]!r}") from None
    if version != CURSOR_VERSION or not isinstance(name, str) or not isinstance(item_id, str):
        raise InvalidCursor(f"Invalid cursor: {text[:100]!r}")
    if "\x00" in name or "\x00" in item_id:
        raise InvalidCursor(f"Invalid cursor: {text[:100]!r}")
    return (name, item_id)


class Paging:
    """The paging part of one list request."""

    def __init__(self, request: Request) -> None:
        params = request.query_params
        self.limit = per_page(params)
        cursor = params.get("cursor")
        if cursor is not None and any(c not in _CURSOR_ALPHABET for c in cursor):
            raise InvalidCursor(f"Invalid cursor: {cursor[:100]!r}")
        self.after = decode_cursor(cursor)

    def page(self, items: list[dict[str, object]], last: ListKey | None) -> dict[str, object]:
        body: dict[str, object] = {"items": items}
        if len(items) == self.limit and last is not None:
            body["next_cursor"] = encode_cursor(last)
        return body


_CURSOR_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
