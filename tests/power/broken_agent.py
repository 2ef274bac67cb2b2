"""Broken variants, part 4: the agent and the invoke endpoints (INV, HTT, FDK, HOT, EVI).

Each function breaks ONE rule of the reference server's agent; see :mod:`tests.power.broken_rules`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from reference_impl import errors
from reference_impl.agent import agent as agent_mod
from reference_impl.agent import call as call_mod
from reference_impl.agent import containers, lookups, uds
from reference_impl.api import invoke

from ._patch import replace, wrap

Scope = dict[str, Any]
INVOKE_PATHS = ("/invoke/", "/t/")


def _edit_invoke_answers(edit: Callable[[Scope, dict[str, Any]], None]) -> Callable[[Any], Any]:
    """An ASGI wrapper that lets ``edit`` change the start message of invoke answers."""

    def wrapper(app: Any) -> Any:
        async def asgi(scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] != "http" or not scope["path"].startswith(INVOKE_PATHS):
                await app(scope, receive, send)
                return

            async def sending(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    edit(scope, message)
                await send(message)

            await app(scope, receive, sending)

        return asgi

    return wrapper


# -- /invoke ------------------------------------------------------------------------------


def invoke_drops_function_headers() -> None:
    def make(original: Any) -> Any:
        def response(status: int, headers: list[tuple[str, str]], body: bytes, call_id: str) -> Any:
            kept = [(k, v) for k, v in headers if k.lower() == "content-type"]
            return original(status, kept, body, call_id)

        return response

    wrap(invoke, "_response", make)


def invoke_truncates_bodies() -> None:
    def make(original: Any) -> Any:
        async def body(request: Any) -> bytes:
            data: bytes = await original(request)
            return data[:65536]

        return body

    wrap(invoke, "read_body", make)


def drop_call_id(scope: Scope, message: dict[str, Any]) -> None:
    message["headers"] = [(k, v) for k, v in message["headers"] if k.lower() != b"fn-call-id"]


lose_call_id = _edit_invoke_answers(drop_call_id)


def invoke_honours_fn_http_status() -> None:
    def make(original: Any) -> Any:
        def response(status: int, headers: list[tuple[str, str]], body: bytes, call_id: str) -> Any:
            for name, value in headers:
                if name.lower() == "fn-http-status" and value.isdigit():
                    status = int(value)
            return original(status, headers, body, call_id)

        return response

    wrap(invoke, "_response", make)


def invoke_transforms_like_a_trigger() -> None:
    """/invoke renames the client's headers and adds Fn-Intent, as triggers do."""

    def make(original: Any) -> Any:
        def init(
            self: Any, app: Any, fn: Any, method: str, headers: Any, body: bytes, **kw: Any
        ) -> None:
            if not any(k.lower() == "fn-intent" for k, _ in headers):
                headers = [(invoke.HTTP_PREFIX + k, v) for k, v in headers]
                headers.append(("Fn-Intent", "httprequest"))
            original(self, app, fn, method, headers, body, **kw)

        return init

    wrap(call_mod.Call, "__init__", make)


def unknown_fn_invoke_500() -> None:
    def make(original: Any) -> Any:
        async def fn_by_id(self: Any, fn_id: str) -> Any:
            try:
                return await original(self, fn_id)
            except errors.FnNotFound:
                raise errors.FnError() from None

        return fn_by_id

    wrap(lookups.DatastoreLookups, "fn_by_id", make)


def post_for_every_method(scope: Scope) -> None:
    if scope["path"].startswith("/invoke/"):
        scope["method"] = "POST"


def _rewrite_scope(edit: Callable[[Scope], None]) -> Callable[[Any], Any]:
    def wrapper(app: Any) -> Any:
        async def asgi(scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                scope = dict(scope)
                edit(scope)
            await app(scope, receive, send)

        return asgi

    return wrapper


invoke_takes_any_method = _rewrite_scope(post_for_every_method)


def no_memory_check() -> None:
    """A fn that can never fit is not refused: its calls wait for memory forever."""
    replace(containers.Memory, "fits_ever", lambda self, mb: True)


def invoke_no_size_limit() -> None:
    from reference_impl import app as app_mod

    def make(original: Any) -> Any:
        async def call(self: Any, scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["path"].startswith("/invoke/"):
                await self.app(scope, receive, send)
                return
            await original(self, scope, receive, send)

        return call

    wrap(app_mod.RequestSizeLimit, "__call__", make)

    async def unlimited_body(request: Any) -> bytes:
        return bytes(await request.body())

    replace(invoke, "read_body", unlimited_body)


# -- HTTP triggers ------------------------------------------------------------------------


def post_only_triggers(scope: Scope) -> None:
    if scope["path"].startswith("/t/") and scope["method"] != "POST":
        scope["path"] = "/no-such-route" + scope["path"]
        scope["raw_path"] = scope["path"].encode()


trigger_post_only = _rewrite_scope(post_only_triggers)


def trigger_headers_unprefixed() -> None:
    """Triggers pass the client's headers as /invoke does (no Fn-Http-H- prefix)."""

    def make(original: Any) -> Any:
        def init(
            self: Any, app: Any, fn: Any, method: str, headers: Any, body: bytes, **kw: Any
        ) -> None:
            headers = [
                (k[len(invoke.HTTP_PREFIX) :] if k.startswith(invoke.HTTP_PREFIX) else k, v)
                for k, v in headers
            ]
            original(self, app, fn, method, headers, body, **kw)

        return init

    wrap(call_mod.Call, "__init__", make)


def ignores_fn_http_status() -> None:
    def make(original: Any) -> Any:
        def trigger_response(answer: Any, call_id: str, method: str) -> Any:
            answer.headers = [(k, v) for k, v in answer.headers if k.lower() != "fn-http-status"]
            return original(answer, call_id, method)

        return trigger_response

    wrap(invoke, "_trigger_response", make)


def trigger_keeps_prefix() -> None:
    """Function headers reach the trigger's client with their Fn-Http-H- prefix."""

    def make(original: Any) -> Any:
        def trigger_response(answer: Any, call_id: str, method: str) -> Any:
            response = original(answer, call_id, method)
            response.raw_headers = [
                (k, v) if k in (b"fn-call-id", b"content-length", b"content-type")
                else (b"fn-http-h-" + k, v)
                for k, v in response.raw_headers
            ]  # fmt: skip
            return response

        return trigger_response

    wrap(invoke, "_trigger_response", make)


def trigger_matches_prefix() -> None:
    """An unknown source falls back to the trigger of its parent path."""

    def make(original: Any) -> Any:
        async def by_source(self: Any, app_id: str, type_: str, source: str) -> Any:
            while True:
                try:
                    return await original(self, app_id, type_, source)
                except errors.TriggerNotFound:
                    if source.count("/") <= 1:
                        raise
                    source = source.rsplit("/", 1)[0]

        return by_source

    wrap(lookups.DatastoreLookups, "trigger_by_source", make)


# -- the function contract -----------------------------------------------------------------


def _env(change: Callable[[dict[str, str], Any], None]) -> None:
    def make(original: Any) -> Any:
        def env(self: Any, listener: str) -> dict[str, str]:
            values: dict[str, str] = original(self, listener)
            change(values, self)
            return values

        return env

    wrap(call_mod.Call, "env", make)


def memory_in_bytes() -> None:
    _env(lambda env, call: env.update(FN_MEMORY=str(call.fn.memory * 1024 * 1024)))


def app_config_wins() -> None:
    _env(lambda env, call: env.update({**call.fn.config, **call.app.config}))


def leaks_server_env() -> None:
    _env(lambda env, call: env.update({k: v for k, v in os.environ.items() if k not in env}))


def no_deadline() -> None:
    def make(original: Any) -> Any:
        async def post(self: Any, target: str, headers: Any, body: bytes) -> Any:
            kept = [(k, v) for k, v in headers if k.lower() != "fn-deadline"]
            return await original(self, target, kept, body)

        return post

    wrap(uds.SocketClient, "post", make)


def crash_answers_200() -> None:
    def make(original: Any) -> Any:
        async def post(self: Any, target: str, headers: Any, body: bytes) -> Any:
            try:
                return await original(self, target, headers, body)
            except uds.ConnectionLost:
                return uds.Answer(status=200)

        return post

    wrap(uds.SocketClient, "post", make)


def exit_at_start_times_out() -> None:
    replace(errors, "ContainerInitFailed", errors.ContainerInitTimeout)


def no_call_timeout() -> None:
    """The fn's timeout is not enforced: a long call runs to its end."""

    class NoTimeout:
        def __init__(self, seconds: float) -> None:
            pass

        async def __aenter__(self) -> None:
            return None

        async def __aexit__(self, *exc: Any) -> None:
            return None

    class Asyncio:
        def __getattr__(self, name: str) -> Any:
            return NoTimeout if name == "timeout" else getattr(asyncio, name)

    replace(agent_mod, "asyncio", Asyncio())


def timeout_from_arrival() -> None:
    """The fn's timeout counts from the request's arrival, not from when it has a container."""

    def make(original: Any) -> Any:
        async def submit(self: Any, call: Any, disconnected: Any) -> Any:
            try:
                async with asyncio.timeout(call.fn.timeout):
                    return await original(self, call, disconnected)
            except TimeoutError:
                raise errors.TimedOut(headers={"Fn-Call-Id": call.id}) from None

        return submit

    wrap(agent_mod.Agent, "submit", make)


# -- hot containers ------------------------------------------------------------------------


def no_reuse() -> None:
    """Every container serves one call and is stopped."""

    def make(original: Any) -> Any:
        def idle(self: Any, container: Any) -> None:
            self._background(self._destroy(container))

        return idle

    wrap(agent_mod.Agent, "_idle", make)


def shares_busy_containers() -> None:
    """A call with no idle container joins a busy one of its fn (on a connection of its own)."""

    def make(original: Any) -> Any:
        async def wait(self: Any, slot: Any, call: Any, disconnected: Any) -> Any:
            for container in list(self._containers.values()):
                if container.key == slot.key and container.state is containers.State.BUSY:
                    twin = containers.Container(**{
                        **container.__dict__,
                        "client": uds.SocketClient(container.client.path),
                        "gone": asyncio.Event(),
                    })  # fmt: skip
                    return twin
            return await original(self, slot, call, disconnected)

        return wait

    wrap(agent_mod.Agent, "_wait_for_container", make)


def ignores_fn_changes() -> None:
    """Containers are shared by every version of a fn (the key is the fn's id alone)."""
    replace(call_mod.Call, "slot_key", property(lambda self: self.fn_id))


def no_idle_expiry() -> None:
    replace(agent_mod.Agent, "_expire", lambda self, container: None)


# -- the evictor ---------------------------------------------------------------------------


def no_evictor() -> None:
    replace(containers.Evictor, "pick", lambda self, shortfall, *, exclude_key: [])


def evicts_busy() -> None:
    def evictable(self: Any, container: Any, now: float) -> bool:
        return container.state in (containers.State.IDLE, containers.State.BUSY)

    replace(containers.Evictor, "evictable", evictable)
