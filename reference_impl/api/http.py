"""Request parsing, JSON rendering, and the one place that turns errors into ``Error`` bodies."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread
import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from ..agent import Invoker, Lookups
from ..config import Settings
from ..datastore import Datastore
from ..errors import (
    BadRequest,
    ClientGone,
    FnError,
    InvalidJSON,
    MethodNotAllowed,
    PathNotFound,
    RequestTooLarge,
)
from ..models import App, Fn, Trigger, utc_now
from ..types import JSONObject

log = logging.getLogger("reference_impl.api")
T = TypeVar("T")
E = TypeVar("E", App, Fn, Trigger)


@dataclass(frozen=True)
class Context:
    """What every handler needs: the settings, and what this node type has — a datastore
    (full and api nodes), the lookups and an invoker (full: the agent; lb: the placer)."""

    settings: Settings
    datastore_or_none: Datastore | None = None
    lookups_or_none: Lookups | None = None
    agent_or_none: Invoker | None = None

    @property
    def datastore(self) -> Datastore:
        if self.datastore_or_none is None:  # the route table serves these only where one is
            raise RuntimeError("this node has no datastore")
        return self.datastore_or_none

    @property
    def lookups(self) -> Lookups:
        if self.lookups_or_none is None:
            raise RuntimeError("this node resolves no invocations")
        return self.lookups_or_none

    @property
    def agent(self) -> Invoker:
        if self.agent_or_none is None:  # the route table serves invoke only where one runs
            raise RuntimeError("this node runs no agent")
        return self.agent_or_none


def context(request: Request) -> Context:
    ctx: Context = request.scope["app"].fn_context
    return ctx


async def store(request: Request, method: Callable[..., T], *args: Any) -> T:
    """Call a datastore method, off the event loop when the backend blocks on the network."""
    if context(request).datastore.blocking:
        return await anyio.to_thread.run_sync(method, *args)
    return method(*args)


async def read_body(request: Request) -> bytes:
    """The request body, refused with 413 once it passes FN_MAX_REQUEST_SIZE (with or without
    a Content-Length)."""
    limit = context(request).settings.max_request_size
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if limit and len(body) > limit:
                raise RequestTooLarge(f"Content-Length too large for this server, > max {limit}")
    except ClientDisconnect:
        raise ClientGone() from None
    return bytes(body)


async def read_json(request: Request) -> Any:
    """The request body as JSON; every failure is a 4xx, never a 5xx."""
    body = await read_body(request)
    if not body.strip():
        raise InvalidJSON("Invalid JSON: the request body is empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJSON(f"Invalid JSON: the body is not valid UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidJSON("Invalid JSON: nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise InvalidJSON(f"Invalid JSON at line {exc.lineno}, column {exc.colno}") from None
    except ValueError as exc:  # from the number hooks below: our own words
        raise InvalidJSON(f"Invalid JSON: {exc}") from None
    _check_strings(data)
    return data


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"a number is out of range ({text[:50]})")
    return value


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a JSON number")


def _check_strings(value: Any, depth: int = 0) -> None:
    """Refuse text that no datastore can hold: NUL characters and lone surrogates."""
    if depth > 64:
        raise InvalidJSON("Invalid JSON: nested too deeply")
    if isinstance(value, str):
        if "\x00" in value:
            raise BadRequest("Invalid JSON: strings must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("Invalid JSON: strings must be valid Unicode") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, depth + 1)
            _check_strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item, depth + 1)


class FastJSONResponse(JSONResponse):
    """JSON rendered by orjson; falls back to the standard encoder for integers beyond 64 bits."""

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except TypeError:
            return super().render(content)


def render(content: Any, *, status: int = 200) -> Response:
    return FastJSONResponse(content, status_code=status)


def no_content() -> Response:
    return Response(status_code=204)


def error_response(error: FnError) -> Response:
    return JSONResponse({"message": error.message}, status_code=error.status, headers=error.headers)


async def handle_fn_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FnError)
    return error_response(exc)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's routing errors (unknown path, wrong method) as JSON ``Error`` bodies."""
    assert isinstance(exc, HTTPException)
    target = f"{request.method} {request.url.path}"
    if exc.status_code == 404:
        error: FnError = PathNotFound(f"Path not found: {target}")
    elif exc.status_code == 405:
        error = MethodNotAllowed(f"Method not allowed: {target}")
    else:
        error = FnError(exc.detail)
        error.status = exc.status_code
    response = error_response(error)
    response.headers.update(exc.headers or {})
    return response


class ServerErrors:
    """The outermost handler of unexpected exceptions: one log line each, one JSON 500.

    Starlette's own handler re-raises after answering, so the server would log the same
    exception a second time; this one does not.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            if not started:
                await error_response(FnError())(scope, receive, send)


async def read_modify_write(
    request: Request,
    entity_id: str,
    get: Callable[[str], E],
    merge: Callable[..., E],
    save: Callable[[E], E],
) -> E:
    """PUT: read the entity, merge the body into it, and store it only if it changed."""
    data = await read_json(request)
    current = await store(request, get, entity_id)
    data = without_injected(request, current, data)
    updated = merge(current, data, path_id=entity_id, now=utc_now())
    if updated != current:
        updated = await store(request, save, updated)
    return updated


def entity_json(request: Request, entity: App | Fn | Trigger) -> JSONObject:
    """The entity as clients read it, with the datastore's injected annotations added."""
    body = entity.to_json()
    extra = context(request).datastore.extra_annotations(entity)
    if extra:
        body["annotations"] = {**extra, **body["annotations"]}
    return body


def without_injected(request: Request, entity: App | Fn | Trigger, data: Any) -> Any:
    """A PUT body minus injected annotations that a read-modify-write carried back unchanged."""
    extra = context(request).datastore.extra_annotations(entity)
    if not extra or not isinstance(data, dict) or not isinstance(data.get("annotations"), dict):
        return data
    kept = {
        k: v
        for k, v in data["annotations"].items()
        if k not in extra or k in entity.annotations or extra[k] != v
    }
    return {**data, "annotations": kept}


def public_base(request: Request) -> str:
    """Base of endpoint annotations: FN_PUBLIC_LB_URL, else the scheme and Host of the request."""
    configured = context(request).settings.public_lb_url
    if configured:
        return configured
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    return f"{request.url.scheme}://{host}"
