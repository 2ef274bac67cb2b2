"""What the agent needs from a way of running containers: start one, wait for it, kill it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

#: Where the socket folder appears inside a container (the FDK's FN_LISTENER lives there).
CONTAINER_IOFS = "/tmp/iofs"


class DriverError(Exception):
    """A container could not be made; ``missing_image`` when the image is unknown."""

    def __init__(self, message: str, *, missing_image: bool = False) -> None:
        super().__init__(message)
        self.missing_image = missing_image


@dataclass(frozen=True)
class ContainerSpec:
    """One hot container to start: its image, environment, memory and socket folder."""

    id: str
    image: str
    env: Mapping[str, str]
    memory_mb: int
    iofs: Path  # the host folder; FN_LISTENER points into it (or its mount in the container)


class Running(Protocol):
    """A started container."""

    id: str

    async def wait(self) -> int:
        """Wait until it has exited; its exit status."""

    async def kill(self) -> None:
        """Stop it with everything it started and free its resources; idempotent."""

    async def output(self) -> bytes:
        """The end of what it wrote (stdout and stderr), for the log when it fails."""


class Driver(Protocol):
    name: str

    def listener_dir(self, iofs: Path) -> str:
        """The socket folder as the container sees it."""

    async def start(self, spec: ContainerSpec) -> Running: ...

    async def close(self) -> None:
        """Kill every container this driver started (server shutdown)."""


__all__ = ["CONTAINER_IOFS", "ContainerSpec", "Driver", "DriverError", "Running"]
