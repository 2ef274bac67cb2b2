"""Prometheus metrics of the server, in a registry of its own, and their text exposition."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

#: Latency buckets in milliseconds, as upstream's API views use.
API_LATENCY_BUCKETS_MS = (1, 10, 50, 100, 250, 500, 1000, 10000, 60000, 120000)
#: The LB's latency buckets (ms): fine around 1-2 s, where placement waits show.
LB_LATENCY_BUCKETS_MS = (1, 10, 25, 50, 200, 1000, 1500, 2000, 2500, 3000, 10000, 60000)
PLACER_ATTEMPT_BUCKETS = (0, 2, 3, 4, 8, 16, 32, 64, 128, 256)

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

        # the agent (full nodes and pure runners), under upstream's names
        def counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
            return Counter(name, doc, labels, registry=self.registry)

        self.calls = counter("fn_calls", "Calls received by the agent")
        self.completed = counter("fn_completed", "Calls the function answered")
        self.timeouts = counter("fn_timeouts", "Calls that timed out")
        self.errors = counter("fn_errors", "Calls that failed (other than timeouts)")
        self.server_busy = counter("fn_server_busy", "Calls refused for lack of room (503)")
        self.canceled = counter("fn_canceled", "Calls whose client went away")
        self.queued = Gauge("fn_queued", "Calls waiting for a container", registry=self.registry)
        self.running = Gauge("fn_running", "Calls running in a container", registry=self.registry)
        self.evictions = counter(
            "fn_container_evictions", "Hot containers stopped to make room for another fn"
        )
        self.status_calls = counter(
            "fn_status_call", "Runner Status requests", ("cached", "success", "network")
        )

        # the LB's placer and what runners report back (latencies in milliseconds)
        def lb_histogram(name: str, doc: str, labels: tuple[str, ...] = ()) -> Histogram:
            return Histogram(
                name, doc, labels, buckets=LB_LATENCY_BUCKETS_MS, registry=self.registry
            )

        self.placer_latency = lb_histogram(
            "fn_lb_placer_latency",
            "From a call's arrival to its TryCall to the runner that took it (ms)",
        )
        self.placer_attempts = Histogram(
            "fn_lb_placer_attempt_count", "Runners tried per placed call",
            buckets=PLACER_ATTEMPT_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.placer_outcomes = {
            name: counter(f"fn_lb_placer_{name}_count", doc)
            for name, doc in (
                ("placed_ok", "Calls a runner committed to"),
                ("timeout", "Calls no runner took within the placer timeout (503)"),
                ("client_cancelled", "Calls whose client left while being placed"),
                ("retry_busy", "Runner attempts answered too-busy"),
                ("retry_error", "Runner attempts that failed to connect"),
            )
        }
        self.runner_sched_latency = lb_histogram(
            "fn_lb_runner_sched_latency", "Runner's time from a call's arrival to a container (ms)"
        )
        self.runner_exec_latency = lb_histogram(
            "fn_lb_runner_exec_latency", "Runner's time running a committed call (ms)"
        )
        self.call_latency = lb_histogram(
            "fn_lb_call_latency", "LB's time for a whole call (ms)", ("call_status",)
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
        self._m = metrics
        self._outcomes = {
            "completed": metrics.completed, "timeout": metrics.timeouts, "error": metrics.errors,
            "server_busy": metrics.server_busy, "canceled": metrics.canceled,
        }  # fmt: skip

    def evicted(self, count: int) -> None:
        self._m.evictions.inc(count)

    def call_received(self) -> None:
        self._m.calls.inc()

    def queued(self, delta: int) -> None:
        self._m.queued.inc(delta)

    def running(self, delta: int) -> None:
        self._m.running.inc(delta)

    def call_done(self, outcome: str) -> None:
        self._outcomes[outcome].inc()

    def status_call(self, *, cached: bool, success: bool) -> None:
        self._m.status_calls.labels(str(cached).lower(), str(success).lower(), "true").inc()


class PlacerMetrics:
    """The LB's placement events as metrics (reference_impl.agent.lb.PlacerEvents)."""

    def __init__(self, metrics: Metrics) -> None:
        self._m = metrics

    def placed(self, latency: float, attempts: int) -> None:
        self._m.placer_latency.observe(latency * 1000)
        self._m.placer_attempts.observe(attempts)
        self._m.placer_outcomes["placed_ok"].inc()

    def not_placed(self, reason: str, latency: float, attempts: int) -> None:
        self._m.placer_latency.observe(latency * 1000)
        self._m.placer_attempts.observe(attempts)
        self._m.placer_outcomes[reason].inc()

    def retried(self, reason: str) -> None:
        self._m.placer_outcomes[f"retry_{reason}"].inc()

    def runner_latencies(self, scheduling: float, execution: float) -> None:
        if scheduling:
            self._m.runner_sched_latency.observe(scheduling * 1000)
        if execution:
            self._m.runner_exec_latency.observe(execution * 1000)

    def call_done(self, status: str, latency: float) -> None:
        self._m.call_latency.labels(status).observe(latency * 1000)


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
