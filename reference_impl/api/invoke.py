"""/invoke/{fn_id} and /t/{app_name}{source}: resolve the target, run it with the agent.

``/invoke`` passes the client's headers to the function as they are and answers 200 with the
function's headers (hop-by-hop ones removed). An HTTP trigger renames every request header but
Content-Type to ``Fn-Http-H-<name>`` and adds ``Fn-Http-Method``, ``Fn-Http-Request-Url`` and
``Fn-Intent: httprequest``; its answer keeps only Content-Type, Fn-Call-Id and the
``Fn-Http-H-*`` headers (renamed back), with the status the function put in ``Fn-Http-Status``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..agent import Call
from ..agent.uds import HOP_BY_HOP, Answer
from .http import context, read_body

HTTP_PREFIX = "fn-http-h-"
#: Describe this request's framing and address, not the call (upstream's HTTP server keeps
#: them out of the header map too); the URL is in Fn-Http-Request-Url.
NOT_FORWARDED = frozenset({"host", "content-length"})


async def invoke_fn(request: Request) -> Response:
    ctx = context(request)
    fn = await ctx.lookups.fn_by_id(request.path_params["fn_id"])
    app = await ctx.lookups.app_by_id(fn.app_id)
    headers = [(k, v) for k, v in request.headers.items() if k not in HOP_BY_HOP]
    call = Call.of(
        app, fn, request.method, _request_url(request), headers, await read_body(request)
    )
    answer = await ctx.agent.submit(call, request.is_disconnected)
    out = [(k, v) for k, v in answer.headers if k.lower() not in HOP_BY_HOP | {"content-length"}]
    return _response(200, out, bytes(answer.body), call.id)


async def invoke_http_trigger(request: Request) -> Response:
    ctx = context(request)
    app = await ctx.lookups.app_by_name(request.path_params["app_name"])
    source = "/" + request.path_params.get("source", "")
    trigger = await ctx.lookups.trigger_by_source(app.id, "http", source)
    fn = await ctx.lookups.fn_by_id(trigger.fn_id)
    headers = []
    for name, value in request.headers.items():
        if name in HOP_BY_HOP or name in NOT_FORWARDED:
            continue
        headers.append((name if name == "content-type" else HTTP_PREFIX + name, value))
    url = _request_url(request)
    headers += [
        ("Fn-Http-Method", request.method),
        ("Fn-Http-Request-Url", url),
        ("Fn-Intent", "httprequest"),
    ]
    call = Call.of(app, fn, request.method, url, headers, await read_body(request))
    answer = await ctx.agent.submit(call, request.is_disconnected)
    return _trigger_response(answer, call.id, request.method)


def _trigger_response(answer: Answer, call_id: str, method: str) -> Response:
    status = 200
    out: list[tuple[str, str]] = []
    for name, value in answer.headers:
        low = name.lower()
        if low == "content-type":
            out.append((name, value))
        elif low == "fn-http-status":
            try:
                code = int(value.strip())
            except ValueError:
                continue
            if 200 <= code <= 599:
                status = code
        elif low.startswith(HTTP_PREFIX) and len(low) > len(HTTP_PREFIX):
            renamed = name[len(HTTP_PREFIX) :]
            if renamed.lower() not in HOP_BY_HOP | {"content-length", "fn-call-id"}:
                out.append((renamed, value))
    body = b"" if method == "HEAD" or status in (204, 304) or status < 200 else bytes(answer.body)
    return _response(status, out, body, call_id)


def _response(status: int, headers: list[tuple[str, str]], body: bytes, call_id: str) -> Response:
    response = Response(body, status_code=status)
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    raw = [h for h in raw if h[0] not in (b"fn-call-id", b"content-length")]
    raw.append((b"fn-call-id", call_id.encode()))
    raw.append((b"content-length", str(len(body)).encode()))
    response.raw_headers = raw
    return response


def _request_url(request: Request) -> str:
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    tail = path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
    return f"{request.url.scheme}://{host}{tail}"
