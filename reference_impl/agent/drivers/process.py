"""The process driver: a container is a process group in its own folder, no engine needed.

An image name maps to a command through the registry the operator configures
(``FN_PROCESS_IMAGES``). The process gets only the contract's variables and its config (never
the server's environment), its address space limited to the fn's memory, and it is killed with
everything it started (its whole process group) on timeout, eviction, idle expiry or shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import resource
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .base import ContainerSpec, DriverError


def _libc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


#: Loaded in the server, not in the child between fork and exec (where imports may fail).
_LIBC = _libc()


def _limits(memory_bytes: int) -> None:  # pragma: no cover - runs in the child before exec
    if memory_bytes > 0:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if _LIBC is not None:  # Linux: the function dies with the server, however that ends
        _LIBC.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG


class ProcessContainer:
    def __init__(self, spec: ContainerSpec, proc: asyncio.subprocess.Process, keep: int) -> None:
        self.id = spec.id
        self._proc = proc
        self.pid = proc.pid
        self._tail = bytearray()
        self._keep = keep
        self._drain = asyncio.ensure_future(self._read_output())

    async def _read_output(self) -> None:
        """Keep the last ``keep`` bytes of what the function writes (it may write forever)."""
        assert self._proc.stdout is not None
        while chunk := await self._proc.stdout.read(65536):
            self._tail += chunk
            if len(self._tail) > self._keep:
                del self._tail[: len(self._tail) - self._keep]

    async def output(self) -> bytes:
        return bytes(self._tail)

    async def wait(self) -> int:
        return await self._proc.wait()

    async def kill(self) -> None:
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        await self._proc.wait()
        # What the process group left behind (a child that left the group is not ours to chase).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)


class ProcessDriver:
    name = "process"

    def __init__(self, commands: Mapping[str, tuple[str, ...]], *, keep_output: int) -> None:
        self._commands = dict(commands)
        self._keep = max(keep_output, 1)
        self._running: dict[str, ProcessContainer] = {}

    def listener_dir(self, iofs: Path) -> str:
        return str(iofs)

    async def start(self, spec: ContainerSpec) -> ProcessContainer:
        command = self._commands.get(spec.image)
        if command is None:
            raise DriverError(
                f"image {spec.image!r} is not in this node's process image registry "
                "(FN_PROCESS_IMAGES)",
                missing_image=True,
            )
        try:
            proc = await asyncio.create_subprocess_exec(
                *command,
                cwd=spec.iofs,
                env=dict(spec.env),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=lambda: _limits(spec.memory_mb * 1024 * 1024),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise DriverError(f"cannot run {command[0]!r} for {spec.image!r}: {exc}") from None
        container = ProcessContainer(spec, proc, self._keep)
        self._running[spec.id] = container
        proc_done = asyncio.ensure_future(proc.wait())
        proc_done.add_done_callback(lambda _: self._running.pop(spec.id, None))
        return container

    async def close(self) -> None:
        await asyncio.gather(*(c.kill() for c in list(self._running.values())))


__all__ = ["ProcessContainer", "ProcessDriver"]
