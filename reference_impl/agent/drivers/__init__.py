"""Drivers: how a hot container is run (a process group, or a Docker container)."""

from __future__ import annotations

from ...config import Settings
from .base import CONTAINER_IOFS, ContainerSpec, Driver, DriverError, Running


def open_driver(settings: Settings, label: str) -> Driver:
    """The driver FN_AGENT_DRIVER names; DriverError when it cannot work here."""
    if settings.driver == "docker":
        from .docker import DockerDriver

        return DockerDriver(
            label=label,
            network=settings.docker_network,
            pids_limit=settings.pids_limit,
            load_file=settings.docker_load_file,
        )
    if settings.docker_load_file:
        raise DriverError("FN_DOCKER_LOAD_FILE needs FN_AGENT_DRIVER=docker")
    from .process import ProcessDriver

    return ProcessDriver(settings.process_images, keep_output=settings.max_log_size)


__all__ = ["CONTAINER_IOFS", "ContainerSpec", "Driver", "DriverError", "Running", "open_driver"]
