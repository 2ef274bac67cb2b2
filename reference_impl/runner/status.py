"""Runner status: the counters, and with a status image a real call that proves the runner can
run functions.

The status call runs the image with memory 0 (never waits for memory, never evicted), a 5 s
call timeout and 1 s idle timeout, under its own overall limit of 60 s that does not depend on
any client: clients wait for it with their own deadlines, and a client that gives up leaves
the run going. A finished run is kept for ``CACHE_SECONDS`` (upstream: 1.5 s); requests in that
window, and requests that arrive while a run is going, share it. The first reader of a run
gets ``cached=false``, every later one ``cached=true`` with the same id and latencies.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Protocol

from fn_runner_protocol import runner_pb2 as pb

from .. import errors
from ..agent import Agent, Call
from ..agent.wire import latencies

log = logging.getLogger("reference_impl.runner")
STATUS_TIMEOUT = 60.0
CACHE_SECONDS = 1.5
CALL_TIMEOUT = 5
CALL_IDLE_TIMEOUT = 1


class StatusEvents(Protocol):
    def status_call(self, *, cached: bool, success: bool) -> None: ...


@dataclass
class Counters:
    active: int = 0
    received: int = 0
    handled: int = 0


class StatusTracker:
    def __init__(
        self, agent: Agent, image: str, counters: Counters, events: StatusEvents | None = None
    ) -> None:
        self.agent = agent
        self.image = image
        self.counters = counters
        self.events = events
        self._cache: pb.RunnerStatus | None = None
        self._expiry = 0.0
        self._running: asyncio.Task[pb.RunnerStatus] | None = None
        self._tasks: set[asyncio.Task[pb.RunnerStatus]] = set()

    async def status(self, payload: bytes) -> pb.RunnerStatus:
        if not self.image:
            return self._with_counters(pb.RunnerStatus())
        if self._cache is None or time.monotonic() >= self._expiry:
            if self._running is None:
                self._running = asyncio.create_task(self._run(payload))
                self._tasks.add(self._running)
                self._running.add_done_callback(self._tasks.discard)
            # shield: a client that stops waiting does not stop the run
            await asyncio.shield(self._running)
        assert self._cache is not None
        reply = pb.RunnerStatus()
        reply.CopyFrom(self._cache)
        self._cache.cached = True
        if self.events is not None:
            self.events.status_call(cached=reply.cached, success=not reply.failed)
        return self._with_counters(reply)

    def _with_counters(self, reply: pb.RunnerStatus) -> pb.RunnerStatus:
        reply.active = self.counters.active
        reply.requestsReceived = self.counters.received
        reply.requestsHandled = self.counters.handled
        return reply

    async def _run(self, payload: bytes) -> pb.RunnerStatus:
        call = Call(
            app_id="", fn_id="", image=self.image, memory_mb=0, timeout=CALL_TIMEOUT,
            idle_timeout=CALL_IDLE_TIMEOUT, config={}, method="GET",
            headers=[("Content-Type", "application/json")], body=payload, url="/",
        )  # fmt: skip
        result = pb.RunnerStatus(id=call.id)
        try:
            async with asyncio.timeout(STATUS_TIMEOUT):
                answer = await self.agent.submit(call, _never)
            result.details = bytes(answer.body).decode("utf-8", "replace")
        except errors.FnError as exc:
            result.failed = True
            result.errorCode = exc.status
            result.errorStr = exc.message
        except TimeoutError:
            result.failed = True
            result.errorCode = 504
            result.errorStr = f"status call took more than {STATUS_TIMEOUT:g} s"
        except Exception as exc:  # the status reports it; the runner goes on
            log.exception("status call failed")
            result.failed = True
            result.errorCode = 500
            result.errorStr = f"status call failed: {exc}"
        for name, value in latencies(call.timing).items():
            setattr(result, name, value)
        self._cache = result
        self._expiry = time.monotonic() + CACHE_SECONDS
        self._running = None
        return result


async def _never() -> bool:
    return False


__all__ = ["CACHE_SECONDS", "STATUS_TIMEOUT", "Counters", "StatusTracker"]
