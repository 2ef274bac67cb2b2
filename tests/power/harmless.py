"""Harmless differences: servers that differ from the reference where the contract allows it.

The suite must pass every one of them. Patches run before ``create_app()``; wrappers are pure
ASGI middleware around the finished app that rewrite requests or responses.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import JSONResponse, Response

from reference_impl import errors
from reference_impl.api import http, paging
from reference_impl.models import validation
from reference_impl.models.app import App
from reference_impl.models.fn import Fn
from reference_impl.models.trigger import Trigger

from ._patch import replace, wrap

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

# -- patches ------------------------------------------------------------------------------


def cursor_as_hex() -> None:
    """Cursors are the hex of the reference's cursor text instead of base64."""

    def encode(key: Any) -> str:
        raw = json.dumps([paging.CURSOR_VERSION, key[0], key[1]], ensure_ascii=False)
        return raw.encode("utf-8").hex()

    def decode(text: str | None) -> Any:
        if not text:
            return None
        try:
            raw = bytes.fromhex(text).decode("utf-8")
            b64 = base64.urlsafe_b64encode(raw.encode("utf-8")).rstrip(b"=").decode("ascii")
        except ValueError:
            raise errors.InvalidCursor(f"Invalid cursor: {text[:100]!r}") from None
        return original_decode(b64)

    original_decode = paging.decode_cursor
    replace(paging, "encode_cursor", encode)
    replace(paging, "decode_cursor", decode)


def cursor_as_token() -> None:
    """Cursors are random tokens; the server remembers which position each one stands for."""
    positions: dict[str, Any] = {}

    def encode(key: Any) -> str:
        token = secrets.token_urlsafe(16)
        positions[token] = (key[0], key[1])
        return token

    def decode(text: str | None) -> Any:
        if not text:
            return None
        if text not in positions:
            raise errors.InvalidCursor(f"Invalid cursor: {text[:100]!r}")
        return positions[text]

    replace(paging, "encode_cursor", encode)
    replace(paging, "decode_cursor", decode)


def extra_entity_fields() -> None:
    """Every app, fn and trigger carries two fields the swagger does not name."""

    def make(original: Any) -> Any:
        def to_json(self: Any) -> Any:
            body = original(self)
            body["etag"] = f'"{self.id}-{self.updated_at}"'
            body["x_region"] = {"name": "power-test", "zone": 1}
            return body

        return to_json

    for entity in (App, Fn, Trigger):
        wrap(entity, "to_json", make)


def unknown_fields_ignored() -> None:
    """Unknown body fields are dropped (as upstream does) instead of refused with 400."""

    def make(original: Any) -> Any:
        def init(self: Any, data: Any, *, allowed: frozenset[str], entity: str) -> None:
            if isinstance(data, dict):
                data = {k: v for k, v in data.items() if k in allowed}
            original(self, data, allowed=allowed, entity=entity)

        return init

    wrap(validation.Body, "__init__", make)


def reworded_errors() -> None:
    """Error messages say the same thing in other words (the status and shape stay)."""

    def error_response(error: errors.FnError) -> Response:
        text = f"request refused ({type(error).__name__}, status {error.status}): {error.message}"
        return JSONResponse({"message": text}, status_code=error.status, headers=error.headers)

    replace(http, "error_response", error_response)


# -- ASGI wrappers ------------------------------------------------------------------------

Rewrite = Callable[[int, Headers, bytes], tuple[Headers, bytes]]


def rewriting(rewrite: Rewrite) -> Callable[[ASGIApp], ASGIApp]:
    """Middleware that buffers each HTTP response and passes it through ``rewrite``."""

    def wrapper(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            start: dict[str, Any] = {}
            chunks: list[bytes] = []

            async def capture(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    start.update(message)
                    return
                if message["type"] != "http.response.body":
                    await send(message)
                    return
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                headers, body = list(start["headers"]), b"".join(chunks)
                if start["status"] not in (204, 304):
                    headers, body = rewrite(start["status"], headers, body)
                    headers = [h for h in headers if h[0].lower() != b"content-length"]
                    headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})

            await app(scope, receive, capture)

        return middleware

    return wrapper


def _is_json(headers: Headers) -> bool:
    return any(k.lower() == b"content-type" and b"json" in v.lower() for k, v in headers)


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


def _reorder(status: int, headers: Headers, body: bytes) -> tuple[Headers, bytes]:
    if not _is_json(headers) or not body:
        return headers, body
    document = json.loads(body)
    return headers, json.dumps(_reversed_keys(document), ensure_ascii=False).encode("utf-8")


def _pretty(status: int, headers: Headers, body: bytes) -> tuple[Headers, bytes]:
    if not _is_json(headers) or not body:
        return headers, body
    document = json.loads(body)
    return headers, (json.dumps(document, indent=4, ensure_ascii=True) + "\n").encode("ascii")


_TITLE = {b"content-type": b"Content-Type", b"x-frame-options": b"X-FRAME-OPTIONS"}


def _header_case(status: int, headers: Headers, body: bytes) -> tuple[Headers, bytes]:
    out = [(_TITLE.get(k.lower(), k.title()), v) for k, v in headers]
    out = [
        (k, b"application/json; charset=utf-8" if k == b"Content-Type" and v == b"application/json"
         else v)
        for k, v in out
    ]  # fmt: skip
    out += [
        (b"X-Power-Variant", b"header-case"),
        (b"Cache-Control", b"no-store"),
        (b"Vary", b"Accept, Accept-Encoding"),
        (b"X-Request-Id", secrets.token_hex(8).encode()),
    ]
    return out, body


reordered_keys = rewriting(_reorder)
pretty_json = rewriting(_pretty)
header_case_and_extra_headers = rewriting(_header_case)


def latency(seconds: float) -> Callable[[ASGIApp], ASGIApp]:
    def wrapper(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                await asyncio.sleep(seconds)
            await app(scope, receive, send)

        return middleware

    return wrapper


def no_runner_api() -> None:
    """Drop the runner API from the route table, as a server without hybrid support would."""
    from reference_impl import api

    kept = tuple(op for op in api.OPERATIONS if op.operation_id != "getTriggerBySource")
    replace(api, "OPERATIONS", kept)


def unicode_3_2_name_tables() -> None:
    """Names are checked with Unicode 3.2's tables (as a server on an older runtime is)."""
    import unicodedata

    from reference_impl.models import app as app_model
    from reference_impl.models import trigger as trigger_model

    def older(name: str) -> bool:
        return all(ch in "_-" or unicodedata.ucd_3_2_0.category(ch)[0] in "LN" for ch in name)

    replace(validation, "is_unicode_name", older)
    replace(app_model, "is_unicode_name", older)
    replace(trigger_model, "is_unicode_name", older)


def uuid_ids() -> None:
    """Ids are UUIDs instead of upstream's 26-character form (ids are opaque to clients)."""
    import uuid

    from reference_impl import ids

    replace(ids, "new_id", lambda: str(uuid.uuid4()))


# -- the agent ----------------------------------------------------------------------------


def slow_cold_start() -> None:
    """Every container takes half a second longer to start."""
    from reference_impl.agent import agent as agent_mod

    def make(original: Any) -> Any:
        async def start(self: Any, call: Any) -> Any:
            await asyncio.sleep(0.5)
            return await original(self, call)

        return start

    wrap(agent_mod.Agent, "_start", make)


def extra_response_header(app: Any) -> Any:
    """Every answer, invoke and trigger answers included, carries one more header."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-served-by", b"variant")]
            await send(message)

        await app(scope, receive, sending if scope["type"] == "http" else send)

    return asgi


def uuid_container_ids() -> None:
    """Containers are named with UUIDs instead of upstream-style ids."""
    import uuid

    from reference_impl.agent import agent as agent_mod

    replace(agent_mod, "new_id", lambda: uuid.uuid4().hex)
