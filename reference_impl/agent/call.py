"""A call: what one invocation runs, where (its slot key), with which environment.

A call carries what it needs by value (image, memory, timeouts, the merged config): a full
node makes it from the app and fn it read, a pure runner from the call an LB placed on it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..ids import new_id
from ..models import App, Fn

#: Variables the server sets; a config key of the same name never overrides them.
CONTRACT_VARS = ("FN_APP_ID", "FN_FN_ID", "FN_MEMORY", "FN_TYPE", "FN_FORMAT", "FN_LISTENER")


@dataclass
class Timing:
    """When the call arrived, got a container and ended (monotonic seconds and wall times)."""

    created: float = field(default_factory=time.monotonic)
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    started: float = 0.0
    started_at: dt.datetime | None = None
    completed: float = 0.0
    completed_at: dt.datetime | None = None

    def start(self) -> None:
        self.started = time.monotonic()
        self.started_at = dt.datetime.now().astimezone()

    def complete(self) -> None:
        self.completed = time.monotonic()
        self.completed_at = dt.datetime.now().astimezone()

    @property
    def scheduling(self) -> float:
        """Seconds from arrival to having a container (0 if it never got one)."""
        return self.started - self.created if self.started else 0.0

    @property
    def execution(self) -> float:
        """Seconds in the container (0 if it never ran)."""
        return (self.completed or time.monotonic()) - self.started if self.started else 0.0


@dataclass(frozen=True)
class Call:
    app_id: str
    fn_id: str
    image: str
    memory_mb: int  # 0: not counted against the node's memory, never evicted (status calls)
    timeout: int
    idle_timeout: int
    config: Mapping[str, str]  # app config overlaid by fn config
    method: str
    headers: list[tuple[str, str]]  # what the function receives (already transformed)
    body: bytes
    url: str = ""
    app_name: str = ""
    annotations: Mapping[str, object] = field(default_factory=dict)
    syslog_url: str = ""
    id: str = field(default_factory=new_id)
    key: str = ""  # the slot key; made from the shape when empty
    timing: Timing = field(default_factory=Timing, compare=False)

    @classmethod
    def of(
        cls, app: App, fn: Fn, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> Call:
        return cls(
            app_id=app.id, fn_id=fn.id, image=fn.image, memory_mb=fn.memory, timeout=fn.timeout,
            idle_timeout=fn.idle_timeout, config={**app.config, **fn.config}, method=method,
            headers=headers, body=body, url=url, app_name=app.name,
            annotations={**app.annotations, **fn.annotations}, syslog_url=app.syslog_url or "",
            key=_slot_key(app, fn),
        )  # fmt: skip

    @property
    def slot_key(self) -> str:
        """Calls with the same key may share containers: anything that shapes a container."""
        return self.key or shape_key(self)

    def env(self, listener: str) -> dict[str, str]:
        """The merged config, then the contract's variables (server values win)."""
        env = dict(self.config)
        env.update(
            FN_APP_ID=self.app_id,
            FN_FN_ID=self.fn_id,
            FN_MEMORY=str(self.memory_mb),
            FN_TYPE="sync",
            FN_FORMAT="http-stream",
            FN_LISTENER=f"unix:{listener}/lsnr.sock",
        )
        return env


_KEYS: dict[tuple[str, str, str, str], str] = {}


def _slot_key(app: App, fn: Fn) -> str:
    """The slot key, remembered per version of the app and the fn (updated_at changes with
    them)."""
    version = (app.id, app.updated_at, fn.id, fn.updated_at)
    key = _KEYS.get(version)
    if key is None:
        if len(_KEYS) > 4096:
            _KEYS.clear()
        key = _KEYS[version] = _hash({
            "app": app.id, "fn": fn.id, "image": fn.image, "memory": fn.memory,
            "timeout": fn.timeout, "idle": fn.idle_timeout, "syslog": app.syslog_url or "",
            "config": {**app.config, **fn.config},
            "annotations": {**app.annotations, **fn.annotations},
        })  # fmt: skip
    return key


def shape_key(call: Call) -> str:
    return _hash({
        "app": call.app_id, "fn": call.fn_id, "image": call.image, "memory": call.memory_mb,
        "timeout": call.timeout, "idle": call.idle_timeout, "syslog": call.syslog_url,
        "config": dict(call.config), "annotations": dict(call.annotations),
    })  # fmt: skip


def _hash(shape: dict[str, object]) -> str:
    text = json.dumps(shape, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


__all__ = ["CONTRACT_VARS", "Call", "Timing", "shape_key"]
