"""The agent: runs a call in a hot container of its fn, starting (and evicting) as needed.

A call waits in its slot queue. Whenever waiting calls outnumber the containers already
starting, one of them reserves the fn's memory and starts a container (and gets it); the others
take containers as they turn idle. When memory is short:

* blocking mode (the default): the call waits for memory; once it has waited a hot-poll period
  it asks the evictor to stop idle containers of other fns covering the shortfall, and if
  nothing is evictable it goes on waiting (only the client ends the wait);
* non-blocking mode: the evictor is asked at once, and if nothing is evictable the call is
  answered 503 with Retry-After.

The fn's ``timeout`` counts from the moment the call has a container.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from .. import errors
from ..config import Settings
from ..ids import new_id
from .call import Call
from .containers import (
    Container,
    Evictor,
    Memory,
    SlotQueue,
    State,
    cancel_expiry,
    default_memory_budget,
)
from .drivers import ContainerSpec, Driver, DriverError
from .uds import Answer, BodyTooLarge, ConnectionLost, HeadersTooLarge, SocketClient

log = logging.getLogger("reference_impl.agent")
READY_POLL = 0.002  # seconds between looks for the FDK's socket
Disconnected = Callable[[], Awaitable[bool]]


class AgentEvents(Protocol):
    """What the agent tells the outside (metrics). ``call_done`` outcomes: completed,
    timeout, error, server_busy, canceled."""

    def evicted(self, count: int) -> None: ...
    def call_received(self) -> None: ...
    def queued(self, delta: int) -> None: ...
    def running(self, delta: int) -> None: ...
    def call_done(self, outcome: str) -> None: ...


class NoEvents:
    def evicted(self, count: int) -> None:
        pass

    def call_received(self) -> None:
        pass

    def queued(self, delta: int) -> None:
        pass

    def running(self, delta: int) -> None:
        pass

    def call_done(self, outcome: str) -> None:
        pass


def _outcome(exc: errors.FnError) -> str:
    if isinstance(exc, errors.TooBusy):
        return "server_busy"
    if isinstance(exc, errors.ClientGone):
        return "canceled"
    if isinstance(exc, errors.TimedOut):
        return "timeout"
    return "error"


class Agent:
    def __init__(
        self, settings: Settings, driver: Driver, *, events: AgentEvents | None = None
    ) -> None:
        self.settings = settings
        self.driver = driver
        self.events: AgentEvents = events or NoEvents()
        self.memory = Memory(settings.max_total_memory or default_memory_budget())
        self.evictor = Evictor(settings.eject_idle_ms / 1000)
        self._poll = settings.hot_poll_ms / 1000
        self._slots: dict[str, SlotQueue] = {}
        self._containers: dict[str, Container] = {}
        self._closing = False
        self._tasks: set[asyncio.Future[None]] = set()
        self._iofs: Path | None = None  # made when the first container starts
        # A socket path is at most 107 bytes: <root>/<26-char id>/phonylsnr.sock must fit.
        if (
            len(settings.iofs_path.encode()) + len("/01234567890123456789012345/phonylsnr.sock")
            > 107
        ):
            raise errors.ConfigError(
                f"FN_IOFS_PATH is too long for the containers' unix sockets: {settings.iofs_path} "
                "(at most 65 bytes)"
            )
        self._owns_root = not settings.iofs_path

    # --- the call -----------------------------------------------------------------------

    async def submit(self, call: Call, disconnected: Disconnected) -> Answer:
        """Run ``call``; the function's answer (status 200), or an FnError."""
        ids = {"Fn-Call-Id": call.id}
        self.events.call_received()
        slot: SlotQueue | None = None
        try:
            if self._closing:
                raise errors.TooBusy()
            if not self.memory.fits_ever(call.memory_mb):
                raise errors.CannotFit()
            slot = self._slots.get(call.slot_key)
            if slot is None:
                slot = self._slots[call.slot_key] = SlotQueue(call.slot_key)
            container = slot.take()
            if container is None:
                self.events.queued(1)
                try:
                    container = await self._wait_for_container(slot, call, disconnected)
                finally:
                    self.events.queued(-1)
            self.events.running(1)
            try:
                answer = await self._run(container, call)
            finally:
                self.events.running(-1)
        except errors.FnError as exc:  # every answer of a call names it
            exc.headers = {**exc.headers, **ids}
            self.events.call_done(_outcome(exc))
            raise
        finally:
            self._forget_empty(slot)  # a queue whose calls never got a container goes
        self.events.call_done("completed")
        return answer

    async def _wait_for_container(
        self, slot: SlotQueue, call: Call, disconnected: Disconnected
    ) -> Container:
        ids = {"Fn-Call-Id": call.id}
        slot.waiting += 1
        short_since: float | None = None
        try:
            while True:
                container = slot.take()
                if container is not None:
                    return container
                if slot.waiting > slot.starting:
                    if self.memory.try_reserve(call.memory_mb):
                        return await self._launch(slot, call)
                    now = time.monotonic()
                    short_since = now if short_since is None else short_since
                    if self.settings.non_blocking or now - short_since >= self._poll:
                        if await self._evict_for(call):
                            continue
                        if self.settings.non_blocking:
                            raise errors.TooBusy(headers=ids)
                waits = [slot.pulse.future(), self.memory.released.future()]
                await asyncio.wait(waits, timeout=self._poll, return_when=asyncio.FIRST_COMPLETED)
                if self._closing:
                    raise errors.TooBusy(headers=ids)
                if await disconnected():
                    raise errors.ClientGone(headers=ids)
        finally:
            slot.waiting -= 1

    async def _evict_for(self, call: Call) -> bool:
        """Stop idle containers of other fns covering the call's shortfall; whether it did."""
        victims = self.evictor.pick(
            self.memory.shortfall(call.memory_mb), exclude_key=call.slot_key
        )
        if not victims:
            return False
        log.info("evicting %d container(s) for fn %s", len(victims), call.fn_id)
        claimed = [v for v in victims if self._claim(v)]  # now, before any other call can
        await asyncio.gather(*(self._finish(v) for v in claimed))
        self.events.evicted(len(victims))
        return True

    async def _run(self, container: Container, call: Call) -> Answer:
        container.state = State.BUSY
        cancel_expiry(container)
        call.timing.start()
        deadline = dt.datetime.now().astimezone() + dt.timedelta(seconds=call.timeout)
        headers = [
            *(h for h in call.headers if h[0].lower() not in ("fn-call-id", "fn-deadline")),
            ("Fn-Call-Id", call.id),
            ("Fn-Deadline", deadline.isoformat(timespec="seconds")),
        ]
        try:
            async with asyncio.timeout(call.timeout):
                answer = await container.client.post("/call", headers, call.body)
        except TimeoutError:
            await self._destroy(container)
            raise errors.TimedOut() from None
        except HeadersTooLarge:
            await self._destroy(container)
            raise errors.FunctionHeadersTooLarge() from None
        except BodyTooLarge:
            await self._destroy(container)
            raise errors.FunctionResponseTooLarge() from None
        except ConnectionLost as exc:
            log.info("container %s of fn %s lost its call: %s", container.id, call.fn_id, exc)
            await self._destroy(container)
            raise errors.FunctionResponseLost() from None
        except BaseException:
            await self._destroy(container)
            raise
        finally:
            call.timing.complete()
        container.calls += 1
        if answer.status in (200, 502, 504):
            self._idle(container)
        else:
            await self._destroy(container)
        if answer.status == 200:
            return answer
        if answer.status == 502:
            raise errors.FunctionFailed()
        if answer.status == 504:
            raise errors.TimedOut()
        raise errors.InvalidFunctionResponse()

    # --- containers ---------------------------------------------------------------------

    async def _launch(self, slot: SlotQueue, call: Call) -> Container:
        """Start a container for ``call`` (its memory is reserved) and hand it to the call."""
        slot.starting += 1
        try:
            return await self._start(call)
        finally:
            slot.starting -= 1
            slot.pulse.fire()

    async def _start(self, call: Call) -> Container:
        container_id = new_id()
        iofs = self._iofs_root() / container_id
        try:
            iofs.mkdir(mode=0o777)
            os.chmod(iofs, 0o777)
            spec = ContainerSpec(
                id=container_id,
                image=call.image,
                env=call.env(self.driver.listener_dir(iofs)),
                memory_mb=call.memory_mb,
                iofs=iofs,
            )
            running = await self.driver.start(spec)
        except BaseException as exc:  # whatever stopped the start, its memory comes back
            self.memory.release(call.memory_mb)
            shutil.rmtree(iofs, ignore_errors=True)
            if isinstance(exc, DriverError) and exc.missing_image:
                raise errors.ImageNotFound(f"Failed to pull image '{call.image}': {exc}") from None
            if not isinstance(exc, Exception):
                raise  # cancelled
            log.warning("cannot start a container for fn %s: %s", call.fn_id, exc)
            raise errors.ContainerInitFailed() from None
        container = Container(
            id=container_id,
            key=call.slot_key,
            fn_id=call.fn_id,
            memory_mb=call.memory_mb,
            idle_timeout=call.idle_timeout,
            running=running,
            client=SocketClient(
                str(iofs / "lsnr.sock"),
                header_limit=self.settings.max_response_header_size,
                body_limit=self.settings.max_response_size,
            ),
            iofs=str(iofs),
        )
        self._containers[container_id] = container
        exited = container.exited = asyncio.ensure_future(running.wait())
        exited.add_done_callback(lambda _: self._exited(container))
        try:
            await self._ready(container, exited)
        except BaseException:
            await self._log_output(container)
            await self._destroy(container)
            raise
        container.state = State.BUSY
        return container

    async def _ready(self, container: Container, exited: asyncio.Future[int]) -> None:
        """Wait until the FDK's socket appears (a relative symlink inside the folder counts)."""
        socket_path = Path(container.iofs) / "lsnr.sock"
        limit = time.monotonic() + self.settings.hot_start_timeout_ms / 1000
        while not _socket_ready(socket_path):
            if exited.done():
                raise errors.ContainerInitFailed()
            if time.monotonic() > limit:
                raise errors.ContainerInitTimeout()
            await asyncio.sleep(READY_POLL)

    def _idle(self, container: Container) -> None:
        if container.state is State.STOPPING:
            return
        if container.exited is not None and container.exited.done():  # it died answering
            self._stop_later(container)
            return
        container.state = State.IDLE
        container.idle_since = time.monotonic()
        self.evictor.register(container)
        loop = asyncio.get_running_loop()
        container.expiry = loop.call_later(container.idle_timeout, self._expire, container)
        slot = self._slots.get(container.key)
        if slot is None:
            slot = self._slots[container.key] = SlotQueue(container.key)
        slot.idle.append(container)
        slot.pulse.fire()

    def _expire(self, container: Container) -> None:
        if container.state is State.IDLE:
            log.debug("container %s idle for %ss: stopping", container.id, container.idle_timeout)
            self._stop_later(container)

    def _exited(self, container: Container) -> None:
        """The container's process ended by itself (a crash while idle, or an exit)."""
        if container.state is State.IDLE:
            self._stop_later(container)

    def _stop_later(self, container: Container) -> None:
        """Take the container out of service now; stop it in the background."""
        if self._claim(container):
            task = asyncio.ensure_future(self._finish(container))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _claim(self, container: Container) -> bool:
        """Out of service, at once (no other call can take it after this); False if it
        already was."""
        if container.state is State.STOPPING:
            return False
        container.state = State.STOPPING
        cancel_expiry(container)
        self.evictor.unregister(container)
        slot = self._slots.get(container.key)
        if slot is not None:
            with contextlib.suppress(ValueError):
                slot.idle.remove(container)
        container.client.close()
        return True

    async def _destroy(self, container: Container) -> None:
        """Stop a container with everything it started; its memory is released once gone."""
        if self._claim(container):
            await self._finish(container)
        else:
            await container.gone.wait()

    async def _finish(self, container: Container) -> None:
        """Kill a claimed container and give back what it held."""
        slot = self._slots.get(container.key)
        try:
            await container.running.kill()
        except Exception:
            log.exception("stopping container %s failed", container.id)
        finally:
            shutil.rmtree(container.iofs, ignore_errors=True)
            self._containers.pop(container.id, None)
            if not container.released:
                container.released = True
                self.memory.release(container.memory_mb)
            container.gone.set()
            self._forget_empty(slot)

    def _forget_empty(self, slot: SlotQueue | None) -> None:
        if (
            slot is not None
            and not (slot.idle or slot.waiting or slot.starting)
            and not any(c.key == slot.key for c in self._containers.values())
        ):
            self._slots.pop(slot.key, None)

    async def _log_output(self, container: Container) -> None:
        with contextlib.suppress(Exception):
            data = (await container.running.output())[-4000:]
            if data:
                log.warning(
                    "container %s of fn %s failed to start; its output ends with:\n%s",
                    container.id, container.fn_id, data.decode("utf-8", "replace"),
                )  # fmt: skip

    # --- the node -----------------------------------------------------------------------

    def _iofs_root(self) -> Path:
        if self._iofs is None:
            root = self.settings.iofs_path or tempfile.mkdtemp(prefix="fniofs-", dir="/tmp")
            self._iofs = Path(root)
            self._iofs.mkdir(parents=True, exist_ok=True)
        return self._iofs

    async def close(self) -> None:
        """Stop every container (server shutdown); later calls are answered 503."""
        self._closing = True
        await asyncio.gather(
            *(self._destroy(c) for c in list(self._containers.values())), return_exceptions=True
        )
        await self.driver.close()
        if self._owns_root and self._iofs is not None:
            shutil.rmtree(self._iofs, ignore_errors=True)


def _socket_ready(path: Path) -> bool:
    """``lsnr.sock`` exists; a symlink only if its target is relative and inside the folder."""
    try:
        if path.is_symlink():
            target = os.readlink(path)
            if os.path.isabs(target) or ".." in Path(target).parts:
                return False
        return path.exists()
    except OSError:
        return False


__all__ = ["Agent", "AgentEvents"]
