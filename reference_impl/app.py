"""Composition root: Settings → Datastore → routes → the ASGI application."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from .agent import Agent, DatastoreLookups
from .agent.drivers import DriverError, open_driver
from .api import INVOKE, routes_for
from .api.http import Context, ServerErrors, error_response, handle_fn_error, handle_http_exception
from .config import Settings
from .datastore import Datastore, open_datastore
from .errors import ConfigError, FnError, HeadersTooLarge, RequestTooLarge
from .ids import new_id
from .metrics import AgentMetrics, Metrics, MetricsMiddleware

log = logging.getLogger("reference_impl")


class RequestSizeLimit:
    """FN_MAX_REQUEST_SIZE and FN_MAX_REQUEST_HEADER_SIZE on every route: a declared
    Content-Length over the first is a 413, headers over the second a 431."""

    def __init__(self, app: Any, limit: int, header_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.header_limit = header_limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            error = self._refusal(scope["headers"])
            if error is not None:
                await error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, headers: list[tuple[bytes, bytes]]) -> FnError | None:
        size = sum(len(name) + len(value) + 4 for name, value in headers)
        if self.header_limit and size > self.header_limit:
            return HeadersTooLarge(
                f"Request headers too large for this server, {size} > max {self.header_limit}"
            )
        if not self.limit:
            return None
        for name, value in headers:
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                return RequestTooLarge(
                    f"Content-Length too large for this server, {int(value)} > max {self.limit}"
                )
        return None


def create_app(
    settings: Settings | None = None, *, datastore: Datastore | None = None
) -> Starlette:
    """Build the server. The datastore is opened here unless one is given, and closed at exit."""
    settings = settings or Settings.from_env()
    store = datastore or open_datastore(
        settings.db_url, extra_annotations=settings.datastore_annotations
    )
    metrics = Metrics()
    try:
        agent = _agent(settings, metrics) if settings.node_type in INVOKE else None
    except ConfigError:
        store.close()
        raise

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            try:
                if agent is not None:
                    await agent.close()
            finally:
                store.close()

    app = Starlette(
        routes=routes_for(settings),
        middleware=[
            Middleware(ServerErrors),
            Middleware(MetricsMiddleware, metrics=metrics),
            Middleware(
                RequestSizeLimit,
                limit=settings.max_request_size,
                header_limit=settings.max_request_header_size,
            ),
        ],
        exception_handlers={FnError: handle_fn_error, HTTPException: handle_http_exception},
        lifespan=lifespan,
    )
    lookups = DatastoreLookups(store, cache_seconds=settings.lookup_cache_ms / 1000)
    app.fn_context = Context(  # type: ignore[attr-defined]
        settings=settings, datastore=store, lookups=lookups, agent_or_none=agent
    )
    app.state.agent = agent
    app.state.metrics = metrics
    return app


def _agent(settings: Settings, metrics: Metrics) -> Agent:
    label = settings.container_label or new_id().lower()
    try:
        driver = open_driver(settings, label)
    except DriverError as exc:
        raise ConfigError(f"FN_AGENT_DRIVER={settings.driver}: {exc}") from None
    return Agent(settings, driver, events=AgentMetrics(metrics))
