"""Server settings: one frozen object built once from the upstream ``FN_*`` variables.

Every variable may instead be given as a path in ``<NAME>_FILE`` (as upstream allows), whose
content is used. Unknown values are refused at start with :class:`ConfigError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

NODE_TYPES = ("full", "api")
LOG_LEVELS = ("debug", "info", "warn", "warning", "error", "fatal", "panic")


@dataclass(frozen=True)
class Settings:
    """Everything the server reads from its environment."""

    #: FN_PORT: TCP port of the HTTP server.
    port: int = 8080
    #: FN_BIND_ADDRESS: address to listen on; loopback unless asked otherwise.
    bind_address: str = "127.0.0.1"
    #: FN_DB_URL: ``sqlite3:///abs/path.db`` or ``postgres://user:pw@host:port/db``.
    db_url: str = field(default_factory=lambda: f"sqlite3://{Path.cwd() / 'data' / 'fn.db'}")
    #: FN_LOG_LEVEL: debug, info, warn, error.
    log_level: str = "info"
    #: FN_MAX_REQUEST_SIZE: largest request body in bytes; 0 means unlimited.
    max_request_size: int = 0
    #: FN_MAX_REQUEST_HEADER_SIZE: largest total of request headers in bytes (431 above it);
    #: 0 means unlimited. The default is 1 MiB, as upstream's HTTP server has.
    max_request_header_size: int = 1024 * 1024
    #: FN_PUBLIC_LB_URL: base of the endpoint annotations; else taken from the request.
    public_lb_url: str = ""
    #: FN_NODE_TYPE: ``full`` (management API and invoke routes) or ``api`` (management only).
    node_type: str = "full"
    #: FN_DS_EXTRA_ANNOTATIONS: JSON object a datastore adds to every entity it reads.
    datastore_annotations: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        get = _Reader(env)
        values: dict[str, object] = {}
        if (port := get("FN_PORT")) is not None:
            values["port"] = _parse_int("FN_PORT", port, low=0, high=65535)
        if (bind := get("FN_BIND_ADDRESS")) is not None:
            values["bind_address"] = bind
        if (db_url := get("FN_DB_URL")) is not None:
            values["db_url"] = db_url
        if (level := get("FN_LOG_LEVEL")) is not None:
            if level.lower() not in LOG_LEVELS:
                raise ConfigError(f"FN_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}: {level!r}")
            values["log_level"] = level.lower()
        if (size := get("FN_MAX_REQUEST_SIZE")) is not None:
            values["max_request_size"] = _parse_int("FN_MAX_REQUEST_SIZE", size, low=0)
        if (header_size := get("FN_MAX_REQUEST_HEADER_SIZE")) is not None:
            values["max_request_header_size"] = _parse_int(
                "FN_MAX_REQUEST_HEADER_SIZE", header_size, low=0
            )
        if (lb_url := get("FN_PUBLIC_LB_URL")) is not None:
            values["public_lb_url"] = lb_url.rstrip("/")
        if (node_type := get("FN_NODE_TYPE")) is not None:
            if node_type not in NODE_TYPES:
                raise ConfigError(
                    f"FN_NODE_TYPE must be one of {', '.join(NODE_TYPES)}: {node_type!r}"
                )
            values["node_type"] = node_type
        if (extra := get("FN_DS_EXTRA_ANNOTATIONS")) is not None:
            try:
                parsed = json.loads(extra)
            except ValueError as exc:
                raise ConfigError(f"FN_DS_EXTRA_ANNOTATIONS is not JSON: {exc}") from exc
            if not isinstance(parsed, dict):
                raise ConfigError("FN_DS_EXTRA_ANNOTATIONS must be a JSON object")
            values["datastore_annotations"] = parsed
        return cls(**values)  # type: ignore[arg-type]

    @property
    def serves_invoke(self) -> bool:
        return self.node_type == "full"


class _Reader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def __call__(self, name: str) -> str | None:
        if name in self._env and self._env[name] != "":
            return self._env[name]
        path = self._env.get(f"{name}_FILE")
        if path:
            try:
                return Path(path).read_text().strip()
            except OSError as exc:
                raise ConfigError(f"{name}_FILE: cannot read {path}: {exc}") from exc
        return None


def _parse_int(name: str, text: str, *, low: int, high: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{name} must be an integer: {text!r}") from None
    if value < low or (high is not None and value > high):
        raise ConfigError(f"{name} out of range: {value}")
    return value


__all__ = ["NODE_TYPES", "Settings"]
