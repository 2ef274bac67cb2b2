"""How the agent finds what to run: an app by name or id, a fn by id, a trigger by source.

A small protocol instead of the datastore: a full node answers it from its datastore (with an
optional short cache, as upstream's invoke path has), an LB from an API node over HTTP
(hybrid.py). Each method raises the catalogue's NotFound error for an unknown entity.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import anyio.to_thread

from ..datastore import Datastore
from ..models import App, Fn, Trigger

T = TypeVar("T")


class Lookups(Protocol):
    async def app_by_name(self, name: str) -> App: ...
    async def app_by_id(self, app_id: str) -> App: ...
    async def fn_by_id(self, fn_id: str) -> Fn: ...
    async def trigger_by_source(self, app_id: str, type_: str, source: str) -> Trigger: ...


class ReadCache:
    """Successful reads kept for ``ttl`` seconds (0: none); failures are never kept."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._entries: dict[tuple[Any, ...], tuple[float, Any]] = {}

    async def read(self, key: tuple[Any, ...], read: Callable[[], Awaitable[T]]) -> T:
        if self._ttl:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > time.monotonic():
                value: T = hit[1]
                return value
        found = await read()
        if self._ttl:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self._ttl, found)
        return found


class DatastoreLookups:
    """Lookups from this node's datastore; successful reads cached for ``cache_seconds``."""

    def __init__(self, store: Datastore, *, cache_seconds: float = 0.0) -> None:
        self._store = store
        self._cache = ReadCache(cache_seconds)

    async def _read(self, key: tuple[Any, ...], method: Callable[..., T], *args: Any) -> T:
        async def read() -> T:
            if self._store.blocking:
                return await anyio.to_thread.run_sync(method, *args)
            return method(*args)

        return await self._cache.read(key, read)

    async def app_by_name(self, name: str) -> App:
        return await self._read(("app-name", name), self._store.get_app_by_name, name)

    async def app_by_id(self, app_id: str) -> App:
        return await self._read(("app", app_id), self._store.get_app, app_id)

    async def fn_by_id(self, fn_id: str) -> Fn:
        return await self._read(("fn", fn_id), self._store.get_fn, fn_id)

    async def trigger_by_source(self, app_id: str, type_: str, source: str) -> Trigger:
        key = ("trigger", app_id, type_, source)
        return await self._read(key, self._store.get_trigger_by_source, app_id, type_, source)


__all__ = ["DatastoreLookups", "Lookups", "ReadCache"]
