"""Hot containers, the slot queues they wait in, the memory they reserve, and the evictor.

A container serves one call at a time. Between calls it is *idle* in its slot queue (the calls
of one fn shape share a queue); after ``idle_timeout`` seconds without work it exits. Each
container holds a reservation of its fn's memory for its whole life, idle included. A container
idle for at least the eject threshold is *evictable*: a call that lacks memory may have it
stopped, if it belongs to another slot queue. Busy and starting containers never are.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from .drivers import Running
from .uds import SocketClient

MIB = 1024 * 1024


class State(enum.Enum):
    STARTING = "starting"
    BUSY = "busy"
    IDLE = "idle"
    STOPPING = "stopping"


class Pulse:
    """A broadcast: everyone waiting wakes when it fires."""

    def __init__(self) -> None:
        self._future: asyncio.Future[None] | None = None

    def future(self) -> asyncio.Future[None]:
        if self._future is None or self._future.done():
            self._future = asyncio.get_running_loop().create_future()
        return self._future

    def fire(self) -> None:
        if self._future is not None and not self._future.done():
            self._future.set_result(None)


@dataclass(eq=False)
class Container:
    id: str
    key: str
    fn_id: str
    memory_mb: int
    idle_timeout: float
    running: Running
    client: SocketClient
    iofs: str
    state: State = State.STARTING
    calls: int = 0
    idle_since: float = 0.0
    expiry: asyncio.TimerHandle | None = None
    released: bool = False
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    #: Done when its process (or container) has exited.
    exited: asyncio.Future[int] | None = None


class SlotQueue:
    """The idle containers of one fn shape, and the calls waiting for one."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.idle: deque[Container] = deque()
        self.starting = 0
        self.waiting = 0
        self.pulse = Pulse()

    def take(self) -> Container | None:
        while self.idle:
            container = self.idle.pop()  # the most recently used: its caches are warm
            if container.state is State.IDLE:
                return container
        return None


class Memory:
    """The memory budget of the node, in bytes, reserved by containers for their whole life."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.reserved = 0
        self.released = Pulse()

    def fits_ever(self, mb: int) -> bool:
        return mb * MIB <= self.total

    def try_reserve(self, mb: int) -> bool:
        if self.reserved + mb * MIB > self.total:
            return False
        self.reserved += mb * MIB
        return True

    def shortfall(self, mb: int) -> int:
        return max(0, self.reserved + mb * MIB - self.total)

    def release(self, mb: int) -> None:
        self.reserved = max(0, self.reserved - mb * MIB)
        self.released.fire()


class Evictor:
    """Eviction tokens in registration order (a container registers when first idle)."""

    def __init__(self, eject_idle_seconds: float) -> None:
        self.eject_idle = eject_idle_seconds
        self._tokens: dict[str, Container] = {}

    def register(self, container: Container) -> None:
        if container.memory_mb:  # a container that holds no memory frees none: never evicted
            self._tokens.setdefault(container.id, container)

    def unregister(self, container: Container) -> None:
        self._tokens.pop(container.id, None)

    def evictable(self, container: Container, now: float) -> bool:
        return container.state is State.IDLE and now - container.idle_since >= self.eject_idle

    def pick(self, shortfall: int, *, exclude_key: str) -> list[Container]:
        """Containers of other slot queues whose memory covers ``shortfall`` bytes, or none."""
        now = time.monotonic()
        chosen: list[Container] = []
        covered = 0
        for container in self._tokens.values():
            if container.key == exclude_key or not self.evictable(container, now):
                continue
            chosen.append(container)
            covered += container.memory_mb * MIB
            if covered >= shortfall:
                return chosen
        return []


def default_memory_budget() -> int:
    """90 % of the memory available (and of a cgroup v1/v2 limit), at least 256 MiB."""
    available = 2 * 1024 * MIB
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        with contextlib.suppress(OSError, ValueError):
            text = Path(path).read_text().strip()
            if text.isdigit():
                available = min(available, int(text))
    return max(256 * MIB, int(available * 0.9))


def cancel_expiry(container: Container) -> None:
    if container.expiry is not None:
        container.expiry.cancel()
        container.expiry = None


__all__ = [
    "MIB",
    "Container",
    "Evictor",
    "Memory",
    "Pulse",
    "SlotQueue",
    "State",
    "cancel_expiry",
    "default_memory_budget",
]
