"""What the cluster areas (LB, RUN, HYB through an LB) share: the LB node, the pure runners'
Status over gRPC, locks so that tests that count do not overlap, and the runner command.

The runners are asked for their Status with the runner protocol's own stubs
(fn_runner_protocol), exactly as an LB or an operator's tool would.
"""

from __future__ import annotations

import contextlib
import fcntl
import shlex
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2

from fn_runner_protocol import runner_pb2 as pb
from fn_runner_protocol import runner_pb2_grpc as pb_grpc

from .config import ConformanceConfig
from .errors import ConformanceException

#: Upstream's status cache window; a run at least this long after the last one is fresh.
STATUS_CACHE_S = 1.5


class RunnerUnreachable(ConformanceException):
    """A runner's Status could not be asked at all (not a verdict on the runner's status)."""


class Runner:
    """One pure runner's gRPC address and a channel to it."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._channel = grpc.insecure_channel(address)
        self._stub = pb_grpc.RunnerProtocolStub(self._channel)  # type: ignore[no-untyped-call]

    def status(self, *, timeout: float) -> pb.RunnerStatus:
        reply: pb.RunnerStatus = self._stub.Status(empty_pb2.Empty(), timeout=timeout)
        return reply

    def status2(self, given: dict[str, Any], *, timeout: float) -> pb.RunnerStatus:
        request = struct_pb2.Struct()
        request.update(given)
        reply: pb.RunnerStatus = self._stub.Status2(request, timeout=timeout)
        return reply

    def close(self) -> None:
        self._channel.close()


def shown(status: pb.RunnerStatus) -> str:
    """A Status reply as one JSON line, for evidence."""
    return json_format.MessageToJson(status, indent=None, preserving_proto_field_name=True)


class ClusterAccess:
    """The run's LB and runners, with run-wide locks (files, so they hold across xdist
    workers): ``counting()`` for a test that needs the LB to itself, ``placing()`` for one
    that only places calls, ``runner(i)`` for a test that owns a runner's Status cache or
    takes the runner down."""

    def __init__(self, cfg: ConformanceConfig, lock_folder: Path) -> None:
        self.cfg = cfg
        self.lb_url = cfg.lb_url
        self.runners = [Runner(a) for a in cfg.runners]
        self._folder = lock_folder

    @contextlib.contextmanager
    def _lock(self, name: str, *, exclusive: bool) -> Iterator[None]:
        self._folder.mkdir(parents=True, exist_ok=True)
        with open(self._folder / f"cluster-{name}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        """The LB and its runners to this test alone (metrics it reads move only by it)."""
        with self._lock("lb", exclusive=True):
            yield

    @contextlib.contextmanager
    def placing(self) -> Iterator[None]:
        with self._lock("lb", exclusive=False):
            yield

    @contextlib.contextmanager
    def runner(self, index: int) -> Iterator[Runner]:
        with self._lock(f"runner-{index}", exclusive=True):
            yield self.runners[index]

    def control(self, action: str) -> None:
        """Run the runner command with ``action`` (``stop 0``, ``start 0``)."""
        command = f"{self.cfg.runner_command} {action}"
        timeout = 60 * self.cfg.timeout_multiplier
        try:
            done = subprocess.run(
                shlex.split(command), capture_output=True, text=True, timeout=timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConformanceException(f"the runner command {command!r} failed: {exc}") from None
        if done.returncode != 0:
            raise ConformanceException(
                f"the runner command {command!r} exited {done.returncode}: "
                f"{(done.stderr or done.stdout).strip()[-400:]}"
            )

    def wait_out_status_cache(self) -> None:
        time.sleep(STATUS_CACHE_S * 1.1 + 0.1)

    def close(self) -> None:
        for runner in self.runners:
            runner.close()


__all__ = ["STATUS_CACHE_S", "ClusterAccess", "Runner", "RunnerUnreachable", "shown"]
