"""Prometheus metrics of the server, in a registry of its own, and their text exposition."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

#: Latency buckets in milliseconds, as upstream's API views use.
API_LATENCY_BUCKETS_MS = (1, 10, 50, 100, 250, 500, 1000, 10000, 60000, 120000)

Scope = dict[str, Any]


class Metrics:
    def __init__(self) -> None:
        self._children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "fn_api_request_count", "API requests received", ["path", "method"],
            registry=self.registry,
        )  # fmt: skip
        self.responses = Counter(
            "fn_api_response_count", "API responses sent", ["path", "method", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "fn_api_latency", "API response latency in milliseconds", ["path", "method"],
            buckets=API_LATENCY_BUCKETS_MS, registry=self.registry,
        )  # fmt: skip

        self.evictions = Counter(
            "fn_container_evictions", "Hot containers stopped to make room for another fn",
            registry=self.registry,
        )  # fmt: skip
        self.calls = Counter(
            "fn_calls", "Function calls by how they ended", ["outcome"], registry=self.registry
        )

    def observe(self, *, path: str, method: str, status: int, millis: float) -> None:
        key = (path, method, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(path, method),
                self.responses.labels(path, method, str(status)),
                self.latency.labels(path, method),
            )
        children[0].inc()
        children[1].inc()
        children[2].observe(millis)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class AgentMetrics:
    """The agent's events as metrics (reference_impl.agent.AgentEvents)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def evicted(self, count: int) -> None:
        self._metrics.evictions.inc(count)

    def call_done(self, outcome: str) -> None:
        self._metrics.calls.labels(outcome).inc()


class MetricsMiddleware:
    """Counts every HTTP request by route template, method and status (pure ASGI)."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def record_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = scope.get("route")
            self.metrics.observe(
                path=getattr(route, "path", "unmatched"),
                method=scope["method"],
                status=status,
                millis=(time.perf_counter() - start) * 1000,
            )
