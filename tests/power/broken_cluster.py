"""Broken (and harmless) variants of the distributed roles: the LB, pure runners and their
Status, and metrics (HYB-002/003, LB, RUN, MET).

Every node of a cluster variant (API node, runners, LB) runs the same variant, so a patch of
the LB's or the runner's code breaks only the role that uses it.
"""

from __future__ import annotations

import asyncio
import types
from typing import Any

from reference_impl import errors, metrics
from reference_impl.agent import hybrid, lb
from reference_impl.runner import server as runner_server
from reference_impl.runner import status as runner_status

from ._patch import replace, wrap

# -- hybrid lookups at the LB -------------------------------------------------------------------


def lb_cache_forever() -> None:
    """The LB keeps what it read for an hour: a deleted trigger still runs."""
    original = hybrid.ReadCache
    replace(hybrid, "ReadCache", lambda ttl: original(3600.0))


def lb_unknown_500() -> None:
    """An unknown app, fn or trigger at the LB is an untyped error (upstream's bug): 500."""

    def make(get: Any) -> Any:
        async def checked(self: Any, path: str, params: Any, missing: Any) -> Any:
            try:
                return await get(self, path, params, missing)
            except errors.NotFound:
                raise RuntimeError(f"lookup of {path} failed") from None

        return checked

    wrap(hybrid.HybridLookups, "_get", make)


# -- the LB's placement -------------------------------------------------------------------------


def lb_truncates_bodies() -> None:
    """The LB sends the runner only the first 10 KiB of a request body."""

    def make(original: Any) -> Any:
        def frames(body: bytes) -> Any:
            return original(body[: 10 * 1024])

        return frames

    wrap(lb, "body_messages", make)


def lb_drops_fn_http_status() -> None:
    """The LB loses the function's Fn-Http-Status header (triggers answer 200)."""

    def make(submit: Any) -> Any:
        async def submitted(self: Any, call: Any, disconnected: Any) -> Any:
            answer = await submit(self, call, disconnected)
            answer.headers = [h for h in answer.headers if h[0].lower() != "fn-http-status"]
            return answer

        return submitted

    wrap(lb.LBAgent, "submit", make)


def lb_errors_500() -> None:
    """Every error a runner reports reaches the LB's client as 500."""

    def make(init: Any) -> Any:
        def init500(self: Any, status: int, message: str, **kw: Any) -> None:
            init(self, 500, message, **kw)

        return init500

    wrap(errors.RemoteError, "__init__", make)


def lb_hangs_on_lost_runner() -> None:
    """A call whose runner dies is never answered."""

    def make(engage: Any) -> Any:
        async def engaged(self: Any, *args: Any) -> Any:
            try:
                return await engage(self, *args)
            except errors.RunnerLost:
                await asyncio.sleep(3600)
                raise

        return engaged

    wrap(lb.LBAgent, "_engage", make)


def lb_placer_default_buckets() -> None:
    """The placer latency histogram has the API's buckets, not the seed's fine ones."""
    replace(metrics, "LB_LATENCY_BUCKETS_MS", metrics.API_LATENCY_BUCKETS_MS)


def lb_placements_not_counted() -> None:
    """Placed calls do not show in the placer latency."""

    def placed(self: Any, latency: float, attempts: int) -> None:
        self._m.placer_outcomes["placed_ok"].inc()

    replace(metrics.PlacerMetrics, "placed", placed)


def lb_reverse_order() -> None:
    """Harmless: the placer walks the runners in the other order."""

    def init(self: Any, *args: Any, **kw: Any) -> None:
        original_init(self, *args, **kw)
        self.runners.reverse()

    original_init = lb.LBAgent.__init__
    replace(lb.LBAgent, "__init__", init)


# -- runner Status ----------------------------------------------------------------------------


def status_counts_wrong() -> None:
    """requestsHandled is one more than requestsReceived."""

    def make(original: Any) -> Any:
        def counted(self: Any, reply: Any) -> Any:
            reply = original(self, reply)
            reply.requestsHandled = reply.requestsReceived + 1
            return reply

        return counted

    wrap(runner_status.StatusTracker, "_with_counters", make)


def status_ignores_image() -> None:
    """Status answers the counters only, even with a status image."""

    async def status(self: Any, payload: bytes) -> Any:
        return self._with_counters(runner_status.pb.RunnerStatus())

    replace(runner_status.StatusTracker, "status", status)


def status_not_cached() -> None:
    """Every Status runs the status image again."""
    replace(runner_status, "CACHE_SECONDS", 0.0)


def status_cancelled_with_client() -> None:
    """A client that gives up cancels the status run (it is not shielded)."""
    proxy = types.SimpleNamespace(**{k: getattr(asyncio, k) for k in dir(asyncio)
                                     if not k.startswith("__")})  # fmt: skip
    proxy.shield = lambda awaitable: awaitable
    replace(runner_status, "asyncio", proxy)


def status_runs_not_shared() -> None:
    """Each Status request starts its own run (no coalescing)."""

    def make(original: Any) -> Any:
        async def status(self: Any, payload: bytes) -> Any:
            if self._cache is None or runner_status.time.monotonic() >= self._expiry:
                self._running = None
            return await original(self, payload)

        return status

    wrap(runner_status.StatusTracker, "status", make)


def runs_status_image() -> None:
    """Regular calls may run the status image."""

    def make(init: Any) -> Any:
        def init_open(self: Any, *args: Any, **kw: Any) -> None:
            init(self, *args, **kw)
            self.status_image = ""

        return init_open

    wrap(runner_server.RunnerService, "__init__", make)


# -- metrics -----------------------------------------------------------------------------------


def metrics_as_json(app: Any) -> Any:
    """/metrics answers JSON."""
    from starlette.responses import JSONResponse

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/metrics":
            await JSONResponse({"fn_api_request_count": 1})(scope, receive, send)
            return
        await app(scope, receive, send)

    return asgi


def api_metrics_frozen() -> None:
    """API requests are not counted."""
    replace(metrics.Metrics, "observe", lambda self, **kw: None)


def agent_metrics_frozen() -> None:
    """Calls are not counted (fn_calls, fn_completed)."""
    replace(metrics.AgentMetrics, "call_received", lambda self: None)
    replace(metrics.AgentMetrics, "call_done", lambda self, outcome: None)
