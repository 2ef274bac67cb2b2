"""Assertions for suite tests: each failure says what was received and what was expected,
names its requirement when given one, and carries the exchange as evidence."""

from __future__ import annotations

import json
import re
from typing import Any

import requests

from .failures import ConformanceFailure
from .recorder import Exchange


def _exchange(response: requests.Response | None) -> Exchange | None:
    return getattr(response, "exchange", None) if response is not None else None


def fail(
    title: str, message: str, *, response: requests.Response | None = None, req: str | None = None
) -> ConformanceFailure:
    return ConformanceFailure(title, message, requirement_id=req, exchange=_exchange(response))


def status(response: requests.Response, *codes: int, req: str | None = None, why: str = "") -> None:
    """The response status is one of ``codes``."""
    if response.status_code not in codes:
        expected = ", ".join(str(c) for c in codes)
        raise fail(
            why or f"Unexpected status for {response.request.method} {response.request.path_url}",
            f"Received: {response.status_code}\nExpected: {expected}",
            response=response,
            req=req,
        )


def json_body(response: requests.Response, *, req: str | None = None) -> Any:
    """The body as JSON (one document)."""
    try:
        return json.loads(response.content)
    except ValueError:
        raise fail(
            "Body is not one JSON document",
            f"Received: {response.text[:300]!r}\nExpected: JSON",
            response=response,
            req=req,
        ) from None


def ok(response: requests.Response, *, req: str | None = None, code: int = 200) -> Any:
    """Status ``code`` and a JSON object body, which is returned."""
    status(response, code, req=req)
    body = json_body(response, req=req)
    if not isinstance(body, dict):
        raise fail(
            "Body is not a JSON object",
            f"Received: {str(body)[:300]}\nExpected: a JSON object",
            response=response,
            req=req,
        )
    return body


def error(response: requests.Response, *codes: int, req: str | None = None, why: str = "") -> str:
    """A refusal with one of ``codes``; its message, if the body has one.

    The body's shape is not judged here: the generic checks record a malformed error body
    under its own requirement (FN-ERR-003), and the test goes on to judge ``req``.
    """
    status(response, *codes, req=req, why=why)
    try:
        body = json.loads(response.content)
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, str) else ""


#: Characters that make an id unusable as a URL path segment as it is.
_UNSAFE_IN_PATH = re.compile(r"[/?#%\s\x00-\x1f\x7f]")
#: Upstream's id form (a SHOULD: clients treat ids as opaque).
UPSTREAM_ID = re.compile(r"^[0-9A-Z]{26}$")


def server_id(entity: dict[str, Any], what: str, *, response: requests.Response, req: str) -> str:
    """The entity's server-made id: a non-empty string that is safe in a URL path."""
    value = entity.get("id")
    true(
        isinstance(value, str) and 0 < len(value) <= 255 and not _UNSAFE_IN_PATH.search(value),
        f"{what} has no usable server-made id",
        f"Received: id {value!r}\nExpected: a non-empty string that is safe in a URL path "
        "(no '/', '?', '#', '%', spaces or control characters)",
        response=response,
        req=req,
    )
    return str(value)


def items(
    response: requests.Response, *, req: str | None = None, shape_req: str | None = None
) -> list[Any]:
    """A 200 list answer's ``items`` array; ``shape_req`` names a missing array (default req)."""
    found = ok(response, req=req).get("items")
    if not isinstance(found, list):
        raise fail(
            "List has no items array",
            f"Received: {found!r}\nExpected: a JSON array",
            response=response,
            req=shape_req or req,
        )
    return found


def empty_body(response: requests.Response, *, req: str | None = None) -> None:
    if response.content:
        raise fail(
            "Body is not empty",
            f"Received: {response.text[:300]!r}\nExpected: no body",
            response=response,
            req=req,
        )


def equal(
    actual: Any,
    expected: Any,
    what: str,
    *,
    response: requests.Response | None = None,
    req: str | None = None,
) -> None:
    if actual != expected:
        raise fail(
            f"Unexpected {what}",
            f"Received: {actual!r}\nExpected: {expected!r}",
            response=response,
            req=req,
        )


def true(
    condition: bool,
    title: str,
    message: str = "",
    *,
    response: requests.Response | None = None,
    req: str | None = None,
) -> None:
    if not condition:
        raise fail(title, message, response=response, req=req)


__all__ = [
    "UPSTREAM_ID",
    "empty_body",
    "equal",
    "error",
    "fail",
    "items",
    "json_body",
    "ok",
    "server_id",
    "status",
    "true",
]
