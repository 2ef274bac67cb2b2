"""A target started from a container image (``--target-image``), through testcontainers on the
Docker-compatible engine at ``DOCKER_HOST``.

The image's port is published on 127.0.0.1 only, on a free port chosen here, so that a restart
keeps the address. The container carries the run's id as a label; it is removed when the run
ends, whatever happened (and :func:`remove_run_containers` finds one a killed run left).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import requests

from ._server import free_port
from .errors import TargetUnavailable

#: The port a target image serves inside its container unless told otherwise (FN_PORT's
#: default, upstream's and the reference image's).
IMAGE_PORT = 8080
#: The label every container the suite starts carries: the run's id.
RUN_LABEL = "io.fn-conformance.run-id"
#: How much of the container's log a start-up failure shows.
_LOG_TAIL = 2000


def _engine_help(problem: object) -> str:
    return (
        f"no Docker-compatible engine at DOCKER_HOST ({problem}); start one, e.g. "
        'eval "$(../shared/engine/podman-engine.sh up)", or point DOCKER_HOST at yours'
    )


def require_image(image: str) -> None:
    """Is there an engine at DOCKER_HOST, and does it have ``image``? (TargetUnavailable
    saying what to do, if not.)"""
    try:
        import docker
        import testcontainers  # noqa: F401
    except ImportError:
        raise TargetUnavailable(
            "--target-image needs the docker extra: pip install 'fn-conformance[docker]'"
        ) from None
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as exc:
        raise TargetUnavailable(_engine_help(exc)) from None
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise TargetUnavailable(
            f"the image {image} is not on the engine at DOCKER_HOST (the suite never pulls); "
            "build it (fn-conformance build-image for the reference server) or docker load it"
        ) from None
    finally:
        client.close()


class ContainerServer:
    """A target container: started, restarted and always removed by the suite.

    It has what the embedded :class:`~conformance._server.LocalServer` has (``url``,
    ``start``, ``restart``, ``log_text``, ``stop``), so the run treats both alike.
    """

    def __init__(
        self,
        image: str,
        *,
        env: Mapping[str, str] | None = None,
        port: int = IMAGE_PORT,
        run_id: str = "",
        headers: Mapping[str, str] | None = None,
        mounts: Mapping[str, str] | None = None,
        share: str = "",
        startup_timeout: float = 60.0,
    ) -> None:
        """``mounts``: host folder -> path in the container, read-write. ``share``: a path in
        the container where a fresh host folder is mounted, for other containers to mount too
        (:attr:`shared`); it is removed with this container."""
        self.image = image
        self._headers = dict(headers or {})
        self._mounts = dict(mounts or {})
        self._share = share
        #: The host folder behind ``share`` ("" without one).
        self.shared = ""
        self._env = dict(env or {})
        self._port = port
        self._run_id = run_id
        self._timeout = startup_timeout
        self._container: Any = None
        self.host_port = 0
        self.url = ""

    def start(self) -> ContainerServer:
        require_image(self.image)
        import docker
        from testcontainers.core.container import DockerContainer

        self.host_port = free_port()
        self.url = f"http://127.0.0.1:{self.host_port}"
        if self._share:
            self.shared = tempfile.mkdtemp(prefix="fn-conformance-shared-")
            os.chmod(self.shared, 0o777)  # whatever user the image runs as
            self._mounts[self.shared] = self._share
        container = DockerContainer(self.image, env=self._env)
        for host, inside in self._mounts.items():
            container.with_volume_mapping(host, inside, "rw")
        # Published on loopback only, on a port of our choosing: a restart keeps it.
        container.ports[f"{self._port}/tcp"] = ("127.0.0.1", self.host_port)  # type: ignore[assignment]
        container.with_kwargs(labels={RUN_LABEL: self._run_id or "-"}, init=True)
        self._container = container
        try:
            try:
                container.start()
            except docker.errors.DockerException as exc:
                raise TargetUnavailable(f"the engine did not start {self.image}: {exc}") from None
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def _wrapped(self) -> Any:
        assert self._container is not None, "start() first"
        return self._container.get_wrapped_container()

    def _wait_ready(self) -> None:
        """Until ``/version`` answers 200; a container that exits or never answers is an error
        that shows the end of its log."""
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            try:
                answer = requests.get(self.url + "/version", headers=self._headers, timeout=1)
                if answer.status_code == 200:
                    return
            except requests.RequestException:
                pass
            container = self._wrapped
            container.reload()
            if container.status in ("exited", "dead"):
                code = container.attrs.get("State", {}).get("ExitCode")
                raise TargetUnavailable(
                    f"the container of {self.image} exited (code {code}) before it answered "
                    f"/version:\n{self.log_text()[-_LOG_TAIL:]}"
                )
            time.sleep(0.1)
        raise TargetUnavailable(
            f"the container of {self.image} did not answer /version on port {self._port} "
            f"within {self._timeout:g} s (is that the port it serves? --target-port):\n"
            f"{self.log_text()[-_LOG_TAIL:]}"
        )

    def restart(self) -> None:
        """Kill the container (whatever state its server is in) and start it again: same
        filesystem, so the same datastore, and the same published port."""
        import docker

        container = self._wrapped
        try:
            container.kill()
        except docker.errors.APIError:
            # Refused because it has already exited (the crash we are here for) is fine; a
            # refusal while it still runs is the engine's problem and goes to the watchdog.
            container.reload()
            if container.status == "running":
                raise
        container.wait(timeout=30)
        container.start()
        self._wait_ready()

    def log_text(self) -> str:
        """Everything the container wrote (both streams, across restarts)."""
        if self._container is None:
            return ""
        try:
            return bytes(self._wrapped.logs(stdout=True, stderr=True)).decode(errors="replace")
        except Exception as exc:  # the engine went away: say so in the log's place
            return f"(the container's log could not be read: {exc})"

    def stop(self) -> None:
        container, self._container = self._container, None
        if container is not None:
            try:
                container.stop()
            except Exception as exc:  # the rest of the teardown goes on; the user is told
                print(
                    f"fn-conformance: warning: the container of {self.image} was not removed "
                    f"({exc}); docker rm -f $(docker ps -aq --filter "
                    f"label={RUN_LABEL}={self._run_id})",
                    file=sys.stderr,
                )
        if self.shared:
            try:
                shutil.rmtree(self.shared)
            except OSError as exc:
                print(f"fn-conformance: warning: {self.shared} not removed: {exc}", file=sys.stderr)
            self.shared = ""

    def __enter__(self) -> ContainerServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def remove_run_containers(run_id: str) -> int:
    """Remove the containers a run started (by its label); how many. 0 without an engine."""
    try:
        import docker
    except ImportError:
        return 0
    try:
        client = docker.from_env(timeout=30)
        found = client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})
    except docker.errors.DockerException:
        return 0
    for container in found:
        container.remove(force=True)
    client.close()
    return len(found)


__all__ = ["IMAGE_PORT", "RUN_LABEL", "ContainerServer", "remove_run_containers", "require_image"]
