"""The docker driver (docker SDK): containers made the way upstream makes them.

User 1000:1000, read-only root with a tmpfs ``/tmp``, every capability dropped,
no-new-privileges, a memory limit without swap, a pids limit, upstream's ulimits, no network by
default, and the socket folder bind-mounted at ``/tmp/iofs``. Every container carries this
node's label, so the node finds (and at shutdown kills) exactly its own. The SDK is blocking;
its calls run in worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from pathlib import Path
from typing import Any

import anyio.to_thread

from .base import CONTAINER_IOFS, ContainerSpec, DriverError

LABEL = "fn-reference.node"
log = logging.getLogger("reference_impl.agent")
_WAITERS: list[anyio.CapacityLimiter] = []  # made in the event loop, on first use
FN_USER = "1000:1000"
ULIMITS = {"nofile": 350, "memlock": 64 * 1024, "sigpending": 5000, "msgqueue": 819200}


class DockerContainer:
    def __init__(self, container: Any, on_gone: Any) -> None:
        self._container = container
        self.id = container.id
        self._killed = False
        self._on_gone = on_gone

    async def wait(self) -> int:
        try:
            # A thread for the container's whole life: not from the shared pool of 40.
            if not _WAITERS:
                _WAITERS.append(anyio.CapacityLimiter(math.inf))
            result = await anyio.to_thread.run_sync(self._wait_forever, limiter=_WAITERS[0])
        except Exception:
            return -1
        return int(result.get("StatusCode", -1))

    def _wait_forever(self) -> Any:
        while True:
            try:
                return self._container.wait(timeout=3600)
            except Exception as exc:  # the SDK's transport errors (a removed container, a timeout)
                if self._killed:
                    return {"StatusCode": -1}
                if "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower():
                    continue  # still running after an hour: wait on
                raise

    async def output(self) -> bytes:
        try:
            data = await anyio.to_thread.run_sync(lambda: self._container.logs(tail=100))
        except Exception:
            return b""
        return bytes(data)

    async def kill(self) -> None:
        self._killed = True
        await anyio.to_thread.run_sync(self._remove)
        self._on_gone()

    def _remove(self) -> None:
        import docker.errors

        try:
            self._container.remove(force=True)
        except docker.errors.NotFound:
            pass
        except Exception as exc:  # the engine is slow or gone: report it, do not fail the call
            log.warning("cannot remove container %s: %s", self.id, exc)


class DockerDriver:
    name = "docker"

    def __init__(
        self, *, label: str, network: str = "none", pids_limit: int = 50, load_file: str = ""
    ) -> None:
        try:
            import docker
        except ImportError as exc:  # pragma: no cover - the docker extra is missing
            raise DriverError("FN_AGENT_DRIVER=docker needs the `docker` package") from exc
        try:
            self._client = docker.from_env(timeout=30)
            self._client.ping()
        except docker.errors.DockerException as exc:
            raise DriverError(f"cannot reach a Docker engine (DOCKER_HOST): {exc}") from None
        if load_file:
            self.loaded = self._load(load_file)
        self._label = label
        self._network = network
        self._pids = pids_limit
        self._running: dict[str, DockerContainer] = {}

    def _load(self, path: str) -> list[str]:
        """FN_DOCKER_LOAD_FILE: the images of a ``docker save`` tarball, loaded at start."""
        import docker.errors

        try:
            with open(path, "rb") as tarball:
                images = self._client.images.load(tarball)
        except OSError as exc:
            raise DriverError(f"FN_DOCKER_LOAD_FILE: cannot read {path}: {exc.strerror}") from None
        except docker.errors.DockerException as exc:
            raise DriverError(
                f"FN_DOCKER_LOAD_FILE: cannot load images from {path}: {exc}"
            ) from None
        tags = [tag for image in images for tag in image.tags]
        if not images:
            raise DriverError(f"FN_DOCKER_LOAD_FILE: {path} holds no image")
        log.info("loaded %s from %s", ", ".join(tags) or f"{len(images)} untagged image(s)", path)
        return tags

    def listener_dir(self, iofs: Path) -> str:
        return CONTAINER_IOFS

    async def start(self, spec: ContainerSpec) -> DockerContainer:
        container = await anyio.to_thread.run_sync(self._create, spec)
        running = DockerContainer(container, lambda: self._running.pop(spec.id, None))
        self._running[spec.id] = running
        return running

    def _create(self, spec: ContainerSpec) -> Any:
        import docker.errors
        from docker.types import Ulimit

        memory = spec.memory_mb * 1024 * 1024
        limits = {"mem_limit": memory, "memswap_limit": memory} if memory else {}  # 0: none
        try:
            container = self._client.containers.create(
                spec.image,
                name=f"fnref-{spec.id.lower()}",
                environment=dict(spec.env),
                user=FN_USER,
                read_only=True,
                tmpfs={"/tmp": "rw,size=32m"},
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                **limits,
                pids_limit=self._pids,
                ulimits=[Ulimit(name=n, soft=v, hard=v) for n, v in ULIMITS.items()],
                network_mode=self._network,
                volumes={str(spec.iofs): {"bind": CONTAINER_IOFS, "mode": "rw"}},
                labels={LABEL: self._label},
                detach=True,
            )
        except docker.errors.ImageNotFound as exc:
            raise DriverError(str(exc.explanation or exc), missing_image=True) from None
        except docker.errors.DockerException as exc:
            raise DriverError(f"cannot create a container of {spec.image!r}: {exc}") from None
        try:
            container.start()
        except docker.errors.DockerException as exc:
            with contextlib.suppress(docker.errors.DockerException):
                container.remove(force=True)
            raise DriverError(f"cannot start a container of {spec.image!r}: {exc}") from None
        return container

    async def close(self) -> None:
        await asyncio.gather(*(c.kill() for c in list(self._running.values())))
        self._running.clear()
        await anyio.to_thread.run_sync(self._remove_labelled)

    def _remove_labelled(self) -> None:
        """Anything still carrying this node's label (e.g. made while a kill was under way)."""
        import docker.errors

        with contextlib.suppress(docker.errors.DockerException):
            for c in self._client.containers.list(
                all=True, filters={"label": f"{LABEL}={self._label}"}
            ):
                with contextlib.suppress(docker.errors.DockerException):
                    c.remove(force=True)


__all__ = ["LABEL", "DockerContainer", "DockerDriver"]
