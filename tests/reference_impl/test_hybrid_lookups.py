"""The LB's lookups through an API node (reference_impl.agent.hybrid), against a scripted API
node: retries with backoff on 5xx and connection errors, 404 kept as NotFound at once, the
double-slash triggerBySource form, and the cache bound."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from reference_impl import errors
from reference_impl.agent.hybrid import HybridLookups

APP = {"id": "A1", "name": "shop", "config": {"K": "v"}, "annotations": {}}
FN = {"id": "F1", "app_id": "A1", "name": "f", "image": "img:1", "memory": 256, "timeout": 9,
      "idle_timeout": 7, "config": {}}  # fmt: skip
TRIGGER = {"id": "T1", "app_id": "A1", "fn_id": "F1", "name": "t", "type": "http",
           "source": "/a/b"}  # fmt: skip


def scripted(
    answers: list[Callable[[httpx.Request], httpx.Response]],
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1](request)

    return httpx.MockTransport(handle), seen


def status(code: int, body: object = None) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(code, json=body if body is not None else {"message": "x"})


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def run(lookups: HybridLookups, coro_of: Callable[[HybridLookups], object]) -> object:
    async def go() -> object:
        try:
            return await coro_of(lookups)  # type: ignore[misc]
        finally:
            await lookups.close()

    return asyncio.run(go())


def test_5xx_and_connection_errors_are_retried_with_backoff() -> None:
    transport, seen = scripted([status(503), refused, status(500), status(200, FN)])
    lookups = HybridLookups("http://api", transport=transport)
    began = time.monotonic()
    fn = run(lookups, lambda lk: lk.fn_by_id("F1"))
    took = time.monotonic() - began
    assert fn.id == "F1" and fn.memory == 256 and fn.idle_timeout == 7  # type: ignore[attr-defined]
    assert len(seen) == 4
    assert 0.025 + 0.05 + 0.1 <= took < 2.0  # three backoffs: 25, 50, 100 ms


def test_a_404_is_not_found_at_once() -> None:
    transport, seen = scripted([status(404)])
    lookups = HybridLookups("http://api", transport=transport)
    with pytest.raises(errors.FnNotFound):
        run(lookups, lambda lk: lk.fn_by_id("nope"))
    assert len(seen) == 1


def test_an_api_node_that_stays_down_is_503_after_five_retries() -> None:
    transport, seen = scripted([status(502)])
    lookups = HybridLookups("http://api", transport=transport)
    with pytest.raises(errors.LookupFailed) as caught:
        run(lookups, lambda lk: lk.app_by_id("A1"))
    assert caught.value.status == 503 and caught.value.headers.get("Retry-After")
    assert len(seen) == 6


def test_app_by_name_and_trigger_by_source_use_the_api_node_paths() -> None:
    transport, seen = scripted([status(200, {"items": [APP]}), status(200, TRIGGER)])
    lookups = HybridLookups("http://api", transport=transport)

    async def both(lk: HybridLookups) -> object:
        return await lk.app_by_name("shop"), await lk.trigger_by_source("A1", "http", "/a/b")

    app, trigger = run(lookups, both)  # type: ignore[misc]
    assert app.config == {"K": "v"} and trigger.fn_id == "F1"
    assert seen[0].url.path == "/v2/apps" and seen[0].url.params["name"] == "shop"
    assert seen[1].url.raw_path == b"/v2/runner/apps/A1/triggerBySource/http//a/b"


def test_an_app_list_without_that_name_is_not_found() -> None:
    transport, _ = scripted([status(200, {"items": [{**APP, "name": "shop2"}]})])
    lookups = HybridLookups("http://api", transport=transport)
    with pytest.raises(errors.AppNotFound):
        run(lookups, lambda lk: lk.app_by_name("shop"))


def test_reads_are_cached_at_most_five_seconds() -> None:
    transport, seen = scripted([status(200, FN)])
    lookups = HybridLookups("http://api", cache_seconds=60, transport=transport)
    assert lookups._cache._ttl == 5.0

    async def twice(lk: HybridLookups) -> object:
        await lk.fn_by_id("F1")
        return await lk.fn_by_id("F1")

    run(lookups, twice)
    assert len(seen) == 1
