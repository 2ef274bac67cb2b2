"""The LB node's agent: places each call on a pure runner over the runner protocol.

Placement walks the runners round-robin. A runner with no connection (none within 100 ms),
or one that answers too-busy (a NACK: CallFinished with errorCode 503 before anything else),
is skipped and the next one tried; after a whole round the placer waits ``RETRY_ALL_DELAY``
and goes round again until the placer timeout, then answers 503 + Retry-After. Once TryCall
is sent to a runner the call is committed there: its answer, or its failure (a runner that
dies mid-call is a 502), is the client's answer; it is never run twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import grpc
import grpc.aio

from fn_runner_protocol import runner_pb2_grpc as pb_grpc

from .. import errors
from .call import Call
from .uds import Answer
from .wire import body_messages, try_message

log = logging.getLogger("reference_impl.lb")
RETRY_ALL_DELAY = 0.010
#: A runner with no connection within this is skipped for now (upstream: 100 ms).
CONNECT_TIMEOUT = 0.1
#: Reconnect soon after a runner comes back (gRPC's default backoff grows to 2 minutes).
CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
)
Disconnected = Callable[[], Awaitable[bool]]


class PlacerEvents(Protocol):
    """What the LB tells the outside (metrics); latencies in seconds."""

    def placed(self, latency: float, attempts: int) -> None: ...
    def not_placed(self, reason: str, latency: float, attempts: int) -> None: ...
    def retried(self, reason: str) -> None: ...
    def runner_latencies(self, scheduling: float, execution: float) -> None: ...
    def call_done(self, status: str, latency: float) -> None: ...


class NoPlacerEvents:
    def placed(self, latency: float, attempts: int) -> None:
        pass

    def not_placed(self, reason: str, latency: float, attempts: int) -> None:
        pass

    def retried(self, reason: str) -> None:
        pass

    def runner_latencies(self, scheduling: float, execution: float) -> None:
        pass

    def call_done(self, status: str, latency: float) -> None:
        pass


class _NotPlaced(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "busy" or "error"


class Runner:
    """One pure runner; its channel is opened on first use, in the serving event loop (a
    grpc.aio channel belongs to the loop it was made in)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.channel: grpc.aio.Channel | None = None
        self._stub: pb_grpc.RunnerProtocolStub | None = None

    def _open(self) -> grpc.aio.Channel:
        if self.channel is None:
            self.channel = grpc.aio.insecure_channel(self.address, options=CHANNEL_OPTIONS)
            self._stub = pb_grpc.RunnerProtocolStub(self.channel)  # type: ignore[no-untyped-call]
        return self.channel

    @property
    def stub(self) -> pb_grpc.RunnerProtocolStub:
        self._open()
        assert self._stub is not None
        return self._stub

    async def connected(self) -> bool:
        """Is there a connection to the runner (waiting up to CONNECT_TIMEOUT for one)?"""
        channel = self._open()
        limit = time.monotonic() + CONNECT_TIMEOUT
        state = channel.get_state(try_to_connect=True)
        while state is not grpc.ChannelConnectivity.READY:
            left = limit - time.monotonic()
            if left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await channel.wait_for_state_change(state)
            state = channel.get_state(try_to_connect=True)
        return True

    async def close(self) -> None:
        if self.channel is not None:
            await self.channel.close()


class LBAgent:
    def __init__(
        self,
        addresses: tuple[str, ...],
        *,
        placer_timeout: float,
        events: PlacerEvents | None = None,
    ) -> None:
        self.runners = [Runner(a) for a in addresses]
        self.placer_timeout = placer_timeout
        self.events: PlacerEvents = events or NoPlacerEvents()
        self._turn = itertools.count()
        self._closing = False

    async def submit(self, call: Call, disconnected: Disconnected) -> Answer:
        """Place ``call`` and return the function's answer, or raise the runner's FnError."""
        ids = {"Fn-Call-Id": call.id}
        start = time.monotonic()
        limit = start + self.placer_timeout
        attempts = 0
        try:
            while not self._closing:
                for _ in range(len(self.runners)):
                    runner = self.runners[next(self._turn) % len(self.runners)]
                    attempts += 1
                    try:
                        answer = await self._engage(runner, call, start, attempts)
                    except _NotPlaced as exc:
                        self.events.retried(exc.reason)
                        if time.monotonic() >= limit:
                            break
                        continue
                    self.events.call_done("ok", time.monotonic() - start)
                    return answer
                if time.monotonic() >= limit:
                    break
                await asyncio.sleep(RETRY_ALL_DELAY)
                if await disconnected():
                    self.events.not_placed("client_cancelled", time.monotonic() - start, attempts)
                    raise errors.ClientGone()
            self.events.not_placed("timeout", time.monotonic() - start, attempts)
            raise errors.TooBusy()
        except errors.FnError as exc:
            exc.headers = {**exc.headers, **ids}
            if not isinstance(exc, errors.ClientGone):
                self.events.call_done(str(exc.status), time.monotonic() - start)
            raise

    async def _engage(self, runner: Runner, call: Call, start: float, attempts: int) -> Answer:
        # Only a runner with a connection gets the call: once TryCall is sent the call is
        # committed there (it may run), and a failure after that is the call's failure.
        if not await runner.connected():
            raise _NotPlaced("error")
        stream = runner.stub.Engage(timeout=call.timeout + self.placer_timeout + 5)
        try:
            try:
                await stream.write(try_message(call))
            except (grpc.aio.AioRpcError, asyncio.InvalidStateError) as exc:
                log.info("runner %s cannot be reached: %s", runner.address, _why(exc))
                raise errors.RunnerLost() from None
            # Placed when TryCall went to the runner that did not refuse it (a NACK comes
            # at once; an answer only when the call is done).
            placed = time.monotonic() - start
            answer = Answer(status=200)
            committed = False
            sender = asyncio.ensure_future(self._send_body(stream, call.body))
            try:
                async for message in stream:
                    kind = message.WhichOneof("body")
                    if kind == "finished":
                        finished = message.finished
                        if not finished.success and finished.errorCode == 503 and not committed:
                            raise _NotPlaced("busy")
                        if not committed:
                            self.events.placed(placed, attempts)
                        self.events.runner_latencies(
                            finished.schedulerDuration / 1e9, finished.executionDuration / 1e9
                        )
                        if finished.success:
                            return answer
                        raise errors.RemoteError(finished.errorCode, finished.errorStr)
                    if not committed:
                        self.events.placed(placed, attempts)
                    committed = True
                    if kind == "result_start":
                        http = message.result_start.http
                        answer.status = http.status_code or 200
                        answer.headers.extend((h.key, h.value) for h in http.headers)
                    elif kind == "data":
                        answer.body += message.data.data
            except grpc.aio.AioRpcError as exc:
                log.warning("runner %s lost call %s: %s", runner.address, call.id, _why(exc))
                if not committed:
                    self.events.placed(placed, attempts)
                raise errors.RunnerLost() from None
            finally:
                sender.cancel()
            log.warning("runner %s ended call %s without finishing it", runner.address, call.id)
            raise errors.RunnerLost()
        finally:
            stream.cancel()

    @staticmethod
    async def _send_body(stream: grpc.aio.StreamStreamCall, body: bytes) -> None:
        try:
            for message in body_messages(body):
                await stream.write(message)
            await stream.done_writing()
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
            pass  # the reading side reports what happened

    async def close(self) -> None:
        self._closing = True
        await asyncio.gather(*(r.close() for r in self.runners), return_exceptions=True)


def _why(exc: BaseException) -> str:
    if isinstance(exc, grpc.aio.AioRpcError):
        return f"{exc.code().name}: {exc.details()}"
    return type(exc).__name__


__all__ = ["LBAgent", "NoPlacerEvents", "PlacerEvents"]
