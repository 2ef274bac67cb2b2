"""A call: what one invocation runs, where (its slot key), with which environment."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from ..ids import new_id
from ..models import App, Fn

#: Variables the server sets; a config key of the same name never overrides them.
CONTRACT_VARS = ("FN_APP_ID", "FN_FN_ID", "FN_MEMORY", "FN_TYPE", "FN_FORMAT", "FN_LISTENER")


@dataclass(frozen=True)
class Call:
    app: App
    fn: Fn
    method: str
    headers: list[tuple[str, str]]  # what the function receives (already transformed)
    body: bytes
    id: str = field(default_factory=new_id)

    @property
    def memory_mb(self) -> int:
        return self.fn.memory

    @property
    def slot_key(self) -> str:
        """Calls with the same key may share containers: anything that shapes a container."""
        return _slot_key(self.app, self.fn)

    def env(self, listener: str) -> dict[str, str]:
        """App config overlaid by fn config, then the contract's variables (server values win)."""
        env = {**self.app.config, **self.fn.config}
        env.update(
            FN_APP_ID=self.app.id,
            FN_FN_ID=self.fn.id,
            FN_MEMORY=str(self.fn.memory),
            FN_TYPE="sync",
            FN_FORMAT="http-stream",
            FN_LISTENER=f"unix:{listener}/lsnr.sock",
        )
        return env


_KEYS: dict[tuple[str, str, str, str], str] = {}


def _slot_key(app: App, fn: Fn) -> str:
    """slot_key, remembered per version of the app and the fn (updated_at changes with them)."""
    version = (app.id, app.updated_at, fn.id, fn.updated_at)
    key = _KEYS.get(version)
    if key is None:
        if len(_KEYS) > 4096:
            _KEYS.clear()
        key = _KEYS[version] = slot_key(app, fn)
    return key


def slot_key(app: App, fn: Fn) -> str:
    shape = {
        "app": app.id, "fn": fn.id, "image": fn.image, "memory": fn.memory,
        "timeout": fn.timeout, "idle": fn.idle_timeout, "syslog": app.syslog_url,
        "config": {**app.config, **fn.config}, "annotations": {**app.annotations, **fn.annotations},
    }  # fmt: skip
    text = json.dumps(shape, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


__all__ = ["CONTRACT_VARS", "Call", "slot_key"]
