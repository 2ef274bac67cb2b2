"""Lookups over HTTP: how an LB node (no datastore) reads apps, fns and triggers from an API
node, through the management API and the hybrid read API.

A 404 from the API node is the catalogue's NotFound (so the LB answers 404, as a full node
does); 5xx answers and connection errors are retried with backoff (25 ms doubling, five
retries, as upstream's hybrid client), then the call is answered 503. Successful reads are
cached for at most ``cache_seconds`` (≤ 5 s).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

import httpx

from .. import errors
from ..models import App, Fn, Trigger
from .lookups import ReadCache

log = logging.getLogger("reference_impl.hybrid")
RETRIES = 5
FIRST_BACKOFF = 0.025
TIMEOUT = 60.0


class HybridLookups:
    def __init__(
        self,
        api_url: str,
        *,
        cache_seconds: float = 0.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=api_url.rstrip("/"), timeout=TIMEOUT, follow_redirects=False,
            transport=transport,
        )  # fmt: skip
        self._cache = ReadCache(min(cache_seconds, 5.0))

    async def _get(
        self, path: str, params: dict[str, str] | None, missing: type[errors.NotFound]
    ) -> Any:
        backoff = FIRST_BACKOFF
        for attempt in range(RETRIES + 1):
            try:
                response = await self._client.get(path, params=params)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    return response.json()
                if response.status_code == 404:
                    raise missing()
                if response.status_code < 500:
                    log.warning("API node answered %d to GET %s", response.status_code, path)
                    raise errors.LookupFailed(
                        f"the API node refused the lookup ({response.status_code})"
                    )
                problem = f"status {response.status_code}"
            if attempt < RETRIES:
                log.info("API node lookup GET %s failed (%s); retrying", path, problem)
                await asyncio.sleep(backoff)
                backoff *= 2
        raise errors.LookupFailed(f"the API node cannot be reached: {problem}")

    async def app_by_name(self, name: str) -> App:
        async def read() -> App:
            page = await self._get("/v2/apps", {"name": name}, errors.AppNotFound)
            items = [i for i in page.get("items") or [] if i.get("name") == name]
            if not items:
                raise errors.AppNotFound()
            return _app(items[0])

        return await self._cache.read(("app-name", name), read)

    async def app_by_id(self, app_id: str) -> App:
        async def read() -> App:
            return _app(
                await self._get(f"/v2/apps/{quote(app_id, safe='')}", None, errors.AppNotFound)
            )

        return await self._cache.read(("app", app_id), read)

    async def fn_by_id(self, fn_id: str) -> Fn:
        async def read() -> Fn:
            return _fn(await self._get(f"/v2/fns/{quote(fn_id, safe='')}", None, errors.FnNotFound))

        return await self._cache.read(("fn", fn_id), read)

    async def trigger_by_source(self, app_id: str, type_: str, source: str) -> Trigger:
        # The source starts with "/": joined with "/" it gives upstream's double-slash form.
        path = (
            f"/v2/runner/apps/{quote(app_id, safe='')}/triggerBySource/"
            f"{quote(type_, safe='')}/{quote(source, safe='/')}"
        )

        async def read() -> Trigger:
            return _trigger(await self._get(path, None, errors.TriggerNotFound))

        return await self._cache.read(("trigger", app_id, type_, source), read)

    async def close(self) -> None:
        await self._client.aclose()


def _app(body: dict[str, Any]) -> App:
    return App(
        id=body["id"], name=body["name"], config=body.get("config") or {},
        annotations=body.get("annotations") or {}, syslog_url=body.get("syslog_url"),
        shape=body.get("shape") or "", created_at=body.get("created_at", ""),
        updated_at=body.get("updated_at", ""),
    )  # fmt: skip


def _fn(body: dict[str, Any]) -> Fn:
    return Fn(
        id=body["id"], app_id=body["app_id"], name=body["name"], image=body["image"],
        memory=int(body.get("memory") or 128), timeout=int(body.get("timeout") or 30),
        idle_timeout=int(body.get("idle_timeout") or 30), config=body.get("config") or {},
        annotations=body.get("annotations") or {}, shape=body.get("shape") or "",
        created_at=body.get("created_at", ""), updated_at=body.get("updated_at", ""),
    )  # fmt: skip


def _trigger(body: dict[str, Any]) -> Trigger:
    return Trigger(
        id=body["id"], app_id=body["app_id"], fn_id=body["fn_id"], name=body["name"],
        type=body["type"], source=body["source"], annotations=body.get("annotations") or {},
        created_at=body.get("created_at", ""), updated_at=body.get("updated_at", ""),
    )  # fmt: skip


__all__ = ["HybridLookups"]
