"""Composition root: Settings → Datastore → routes → the ASGI application."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from .agent import Agent, DatastoreLookups, Invoker, Lookups
from .agent.drivers import DriverError, open_driver
from .agent.hybrid import HybridLookups
from .agent.lb import LBAgent
from .api import routes_for
from .api.http import Context, ServerErrors, error_response, handle_fn_error, handle_http_exception
from .config import Settings
from .datastore import Datastore, open_datastore
from .errors import ConfigError, FnError, HeadersTooLarge, RequestTooLarge
from .ids import new_id
from .metrics import AgentMetrics, Metrics, MetricsMiddleware, PlacerMetrics
from .runner.server import RunnerServer, RunnerService

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
    """Build the server for its node type. What it opens here (datastore, agent, the
    runner's gRPC server) is closed when the server stops."""
    settings = settings or Settings.from_env()
    metrics = Metrics()
    node = _Node(settings, metrics)
    try:
        node.open(datastore)
    except BaseException:
        node.close_now()
        raise

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await node.start()
        try:
            yield
        finally:
            await node.stop()

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
    app.fn_context = Context(  # type: ignore[attr-defined]
        settings=settings,
        datastore_or_none=node.store,
        lookups_or_none=node.lookups,
        agent_or_none=node.invoker,
    )
    app.state.agent = node.agent
    app.state.metrics = metrics
    app.state.node = node
    return app


class _Node:
    """What one node type opens: full = datastore + agent, api = datastore, lb = lookups
    over HTTP + the placer, pure-runner = agent + the runner protocol's gRPC server."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.store: Datastore | None = None
        self.lookups: Lookups | None = None
        self.agent: Agent | None = None
        self.invoker: Invoker | None = None
        self.hybrid: HybridLookups | None = None
        self.runner: RunnerServer | None = None

    def open(self, datastore: Datastore | None) -> None:
        settings = self.settings
        cache = settings.lookup_cache_ms / 1000
        if settings.node_type in ("full", "api"):
            self.store = datastore or open_datastore(
                settings.db_url, extra_annotations=settings.datastore_annotations
            )
            self.lookups = DatastoreLookups(self.store, cache_seconds=cache)
        if settings.node_type == "full":
            self.agent = self.invoker = _agent(settings, self.metrics)
        elif settings.node_type == "lb":
            self.lookups = self.hybrid = HybridLookups(settings.runner_api_url, cache_seconds=cache)
            self.invoker = LBAgent(
                settings.runner_addresses,
                placer_timeout=settings.placer_timeout_ms / 1000,
                events=PlacerMetrics(self.metrics),
            )
        elif settings.node_type == "pure-runner":
            # A pure runner never queues a call it has no room for: the LB places it elsewhere.
            self.agent = _agent(dataclasses.replace(settings, non_blocking=True), self.metrics)
            service = RunnerService(self.agent, settings.status_image, AgentMetrics(self.metrics))
            address = f"{_grpc_host(settings.bind_address)}:{settings.grpc_port}"
            self.runner = RunnerServer(service, address)

    async def start(self) -> None:
        if self.runner is not None:
            await self.runner.start()

    async def stop(self) -> None:
        try:
            if self.runner is not None:
                await self.runner.stop()
            # the invoker (a full node's agent, or an LB's placer) and a runner's agent
            for closing in {id(x): x for x in (self.invoker, self.agent) if x is not None}.values():
                await closing.close()
            if self.hybrid is not None:
                await self.hybrid.close()
        finally:
            if self.store is not None:
                self.store.close()

    def close_now(self) -> None:
        if self.store is not None:
            self.store.close()


def _grpc_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _agent(settings: Settings, metrics: Metrics) -> Agent:
    label = settings.container_label or new_id().lower()
    try:
        driver = open_driver(settings, label)
    except DriverError as exc:
        raise ConfigError(f"FN_AGENT_DRIVER={settings.driver}: {exc}") from None
    return Agent(settings, driver, events=AgentMetrics(metrics))
