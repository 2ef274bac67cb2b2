"""Start and stop a reference server in a child process, on a free loopback port.

The suite talks to any target over HTTP only; when no target is given it starts the embedded
reference server this way (``python -m reference_impl``), so it never imports it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

import requests

from .errors import TargetUnavailable
from .probe import PROBE_IMAGE, process_command


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM when the process that started it dies, even by SIGKILL."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalServer:
    """A reference server child process; a context manager that always stops it.

    ``env`` is added to the child's environment (FN_* settings). Without ``FN_DB_URL`` the
    server gets a fresh SQLite file in a temporary directory removed at stop.
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        module: str = "reference_impl",
        args: tuple[str, ...] = (),
        startup_timeout: float = 20.0,
    ) -> None:
        self._extra = dict(env or {})
        self._module = module
        self._args = args
        self._timeout = startup_timeout
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Path | None = None
        self.port = 0
        self.url = ""
        self.db_url = ""

    def start(self) -> LocalServer:
        self._tmp = tempfile.TemporaryDirectory(prefix="fn-reference-")
        self.port = int(self._extra.get("FN_PORT") or free_port())
        self._log = Path(self._tmp.name) / "server.log"
        self._spawn()
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_ready()
        return self

    def restart(self) -> None:
        """Kill the server (whatever state it is in) and start it again on the same port and
        datastore, as a supervisor would after a crash."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)
        self._spawn()
        self._wait_ready()

    def _spawn(self) -> None:
        assert self._tmp is not None and self._log is not None, "start() first"
        env = {**os.environ, "FN_LOG_LEVEL": "error", **self._extra, "FN_PORT": str(self.port)}
        env.setdefault("FN_DB_URL", f"sqlite3://{self._tmp.name}/data/fn.db")
        # The process driver runs the probe image as the probe's source (the invoke areas).
        env.setdefault("FN_PROCESS_IMAGES", json.dumps({PROBE_IMAGE: process_command()}))
        self.db_url = env["FN_DB_URL"]
        env["FN_BIND_ADDRESS"] = "127.0.0.1"
        with open(self._log, "ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", self._module, *self._args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise TargetUnavailable(f"reference server exited at start:\n{self.log_text()}")
            try:
                if requests.get(self.url + "/version", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise TargetUnavailable(f"reference server did not answer within {self._timeout}s")

    def log_text(self) -> str:
        return self._log.read_text(errors="replace") if self._log and self._log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the server (as a crash would), then clean up as stop does."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)
        self.stop()

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._proc = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class Cluster:
    """An API node, two pure runners and an LB in front of them, all reference servers on
    free loopback ports (the cluster profile's embedded topology); stops them all.

    The API node shares ``db_url`` (the target's datastore); the runners run the probe and
    the status function with the process driver and answer Status with the status image.
    ``stop_runner`` and ``start_runner`` let a test take a runner down and bring it back on
    the same address.
    """

    def __init__(
        self,
        db_url: str,
        *,
        probe_image: str,
        status_image: str,
        env: Mapping[str, str] | None = None,
        module: str = "reference_impl",
        args: tuple[str, ...] = (),
        runners: int = 2,
        placer_timeout_ms: int = 3000,
    ) -> None:
        from .probe import status_command

        self._env = dict(env or {})
        self._module, self._args = module, args
        images = json.dumps({probe_image: process_command(), status_image: status_command()})
        self._runner_env = {
            **self._env, "FN_NODE_TYPE": "pure-runner", "FN_PROCESS_IMAGES": images,
            "FN_STATUS_IMAGE": status_image,
        }  # fmt: skip
        self.db_url = db_url
        self.grpc_ports = [free_port() for _ in range(runners)]
        self.placer_timeout_ms = placer_timeout_ms
        self.api: LocalServer | None = None
        self.lb: LocalServer | None = None
        self.runners: list[LocalServer | None] = [None] * runners

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(f"127.0.0.1:{port}" for port in self.grpc_ports)

    def _server(self, env: Mapping[str, str]) -> LocalServer:
        return LocalServer(env=env, module=self._module, args=self._args)

    def start(self) -> Cluster:
        try:
            api_env = {**self._env, "FN_NODE_TYPE": "api", "FN_DB_URL": self.db_url}
            self.api = self._server(api_env).start()
            for index in range(len(self.runners)):
                self.start_runner(index)
            lb_env = {
                **self._env, "FN_NODE_TYPE": "lb", "FN_RUNNER_API_URL": self.api.url,
                "FN_RUNNER_ADDRESSES": ",".join(self.addresses),
                "FN_PLACER_TIMEOUT_MSECS": str(self.placer_timeout_ms),
            }  # fmt: skip
            self.lb = self._server(lb_env).start()
        except BaseException:
            self.stop()
            raise
        return self

    def start_runner(self, index: int) -> None:
        if self.runners[index] is None:
            env = {**self._runner_env, "FN_GRPC_PORT": str(self.grpc_ports[index])}
            self.runners[index] = self._server(env).start()

    def stop_runner(self, index: int) -> None:
        """Kill the runner (SIGKILL: it gets no chance to finish its calls)."""
        runner = self.runners[index]
        if runner is not None:
            runner.kill()
            self.runners[index] = None

    def actions(self) -> dict[str, Callable[[], None]]:
        """``stop N`` / ``start N`` for each runner (what a runner command asks for)."""
        acts: dict[str, Callable[[], None]] = {}
        for index in range(len(self.runners)):
            acts[f"stop {index}"] = lambda i=index: self.stop_runner(i)  # type: ignore[misc]
            acts[f"start {index}"] = lambda i=index: self.start_runner(i)  # type: ignore[misc]
        return acts

    def logs(self) -> str:
        parts = []
        for name, server in (("api", self.api), ("lb", self.lb), *(
            (f"runner {i}", r) for i, r in enumerate(self.runners)
        )):  # fmt: skip
            if server is not None:
                parts.append(f"--- {name} ---\n{server.log_text()[-1500:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        for server in (self.lb, *self.runners, self.api):
            if server is not None:
                server.stop()
        self.lb = self.api = None
        self.runners = [None] * len(self.runners)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
