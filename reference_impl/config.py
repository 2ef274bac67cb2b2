"""Server settings: one frozen object built once from the upstream ``FN_*`` variables.

The table is the dataclass itself: each field names its variable, how its text is read, its
default and what it means (``SETTINGS`` lists them in order; the README's table is checked
against it). Every variable may instead be given as a path in ``<NAME>_FILE`` (as upstream
allows), whose content is used. Unknown values are refused at start with :class:`ConfigError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError

#: What each FN_NODE_TYPE serves (the route table names these roles per operation).
NODE_TYPES = ("full", "api", "lb", "pure-runner")
LOG_LEVELS = ("debug", "info", "warn", "warning", "error", "fatal", "panic")
DRIVERS = ("process", "docker")

Parser = Callable[[str, str], Any]


def _text(name: str, text: str) -> str:
    return text


def _integer(low: int = 0, high: int | None = None) -> Parser:
    def parse(name: str, text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ConfigError(f"{name} must be an integer: {text!r}") from None
        if value < low or (high is not None and value > high):
            raise ConfigError(f"{name} out of range: {value}")
        return value

    return parse


def _choice(*allowed: str, lower: bool = False) -> Parser:
    def parse(name: str, text: str) -> str:
        value = text.lower() if lower else text
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}: {text!r}")
        return value

    return parse


def _boolean(name: str, text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false: {text!r}")


def _json_object(name: str, text: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{name} is not JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ConfigError(f"{name} must be a JSON object")
    return parsed


def _image_commands(name: str, text: str) -> dict[str, tuple[str, ...]]:
    """``{"image": ["/path/to/cmd", "arg"], ...}``: what the process driver runs per image."""
    parsed = _json_object(name, text)
    commands: dict[str, tuple[str, ...]] = {}
    for image, command in parsed.items():
        if not (isinstance(command, list) and command and all(isinstance(a, str) for a in command)):
            raise ConfigError(f"{name}: the command of {image!r} must be a list of strings")
        commands[image] = tuple(command)
    return commands


def _addresses(name: str, text: str) -> tuple[str, ...]:
    addresses = tuple(a.strip() for a in text.split(",") if a.strip())
    for address in addresses:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"{name}: not a host:port address: {address!r}")
    return addresses


def _setting(env: str, default: Any, meaning: str, parse: Parser = _text, **kw: Any) -> Any:
    factory = kw.pop("default_factory", None)
    meta = {"env": env, "parse": parse, "meaning": meaning}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def _default_db_url() -> str:
    return f"sqlite3://{Path.cwd() / 'data' / 'fn.db'}"


@dataclass(frozen=True)
class Settings:
    """Everything the server reads from its environment."""

    port: int = _setting("FN_PORT", 8080, "TCP port of the HTTP server", _integer(0, 65535))
    bind_address: str = _setting(
        "FN_BIND_ADDRESS", "127.0.0.1", "address to listen on (loopback unless asked otherwise)"
    )
    db_url: str = _setting(
        "FN_DB_URL", None,
        "`sqlite3:///abs/path.db` (default `$PWD/data/fn.db`; folders made, WAL) or "
        "`postgres://user:pw@host:port/db` (the `postgres` extra)",
        default_factory=_default_db_url,
    )  # fmt: skip
    log_level: str = _setting(
        "FN_LOG_LEVEL", "info", "debug, info, warn, error", _choice(*LOG_LEVELS, lower=True)
    )
    max_request_size: int = _setting(
        "FN_MAX_REQUEST_SIZE", 0, "largest request body in bytes, larger is 413 (0: unlimited)",
        _integer(),
    )  # fmt: skip
    max_request_header_size: int = _setting(
        "FN_MAX_REQUEST_HEADER_SIZE", 1024 * 1024,
        "largest total of request headers in bytes, larger is 431 (0: unlimited)", _integer(),
    )  # fmt: skip
    public_lb_url: str = _setting(
        "FN_PUBLIC_LB_URL", "", "base of the endpoint annotations (default: from the request)"
    )
    node_type: str = _setting(
        "FN_NODE_TYPE", "full",
        "`full` (management, hybrid read API and invoke), `api` (no invoke), `lb` (invoke, "
        "placed on pure runners; no datastore) or `pure-runner` (runs calls placed over gRPC)",
        _choice(*NODE_TYPES),
    )  # fmt: skip
    datastore_annotations: Mapping[str, object] = _setting(
        "FN_DS_EXTRA_ANNOTATIONS", None, "JSON object the datastore adds to every entity it reads",
        _json_object, default_factory=dict,
    )  # fmt: skip
    # --- the distributed roles (lb, pure-runner) ------------------------------------------
    runner_api_url: str = _setting(
        "FN_RUNNER_API_URL", "", "lb: base URL of the API node it reads apps, fns and triggers from"
    )
    runner_addresses: tuple[str, ...] = _setting(
        "FN_RUNNER_ADDRESSES", (), "lb: comma-separated `host:port` gRPC addresses of pure runners",
        _addresses,
    )  # fmt: skip
    grpc_port: int = _setting(
        "FN_GRPC_PORT", 9190, "pure-runner: port of the runner protocol (gRPC)", _integer(0, 65535)
    )
    placer_timeout_ms: int = _setting(
        "FN_PLACER_TIMEOUT_MSECS", 360000,
        "lb: how long a call may wait for a runner with room before 503 + Retry-After",
        _integer(1),
    )  # fmt: skip
    status_image: str = _setting(
        "FN_STATUS_IMAGE", "",
        "pure-runner: image Status runs as a call (memory 0, own 60 s timeout, cached 1.5 s)",
    )  # fmt: skip
    docker_load_file: str = _setting(
        "FN_DOCKER_LOAD_FILE", "",
        "docker driver: a `docker save` tarball loaded at start (a missing or bad file stops "
        "the node)",
    )  # fmt: skip
    # --- the agent (full nodes and pure runners) ---------------------------------------
    driver: str = _setting(
        "FN_AGENT_DRIVER", "process", "`process` (no engine needed) or `docker` (DOCKER_HOST)",
        _choice(*DRIVERS),
    )  # fmt: skip
    process_images: Mapping[str, tuple[str, ...]] = _setting(
        "FN_PROCESS_IMAGES", None,
        'process driver: JSON `{"image": ["command", "arg", ...]}`, what runs for each image',
        _image_commands, default_factory=dict,
    )  # fmt: skip
    iofs_path: str = _setting(
        "FN_IOFS_PATH",
        "",
        "folder of the containers' socket folders (default: a fresh one in /tmp)",
    )
    max_total_memory: int = _setting(
        "FN_MAX_TOTAL_MEMORY_BYTES", 0,
        "memory containers reserve, idle ones too (0: 90 % of what is free, at least 256 MiB)",
        _integer(),
    )  # fmt: skip
    non_blocking: bool = _setting(
        "FN_ENABLE_NB_RESOURCE_TRACKER", False,
        "non-blocking mode: 503 + Retry-After when memory is short and nothing is evictable",
        _boolean,
    )  # fmt: skip
    hot_poll_ms: int = _setting(
        "FN_HOT_POLL_MSECS", 200,
        "how often a waiting call retries a launch (blocking: then evicts)", _integer(1),
    )  # fmt: skip
    hot_start_timeout_ms: int = _setting(
        "FN_HOT_START_TIMEOUT_MSECS", 5000, "wait for a container's socket before 504", _integer(1)
    )
    eject_idle_ms: int = _setting(
        "FN_EJECT_IDLE_MSECS", 1000, "idle time after which a container can be evicted", _integer()
    )
    max_response_size: int = _setting(
        "FN_MAX_RESPONSE_SIZE", 0, "largest function response body, larger is 502 (0: unlimited)",
        _integer(),
    )  # fmt: skip
    max_response_header_size: int = _setting(
        "FN_MAX_HDR_RESPONSE_SIZE", 0,
        "largest function response header block, larger is 502 (0: 1 MiB)", _integer(),
    )  # fmt: skip
    lookup_cache_ms: int = _setting(
        "FN_LOOKUP_CACHE_MSECS", 1000,
        "how long invoke may reuse an app, fn or trigger it read (0: never; upstream: 5000)",
        _integer(0, 5000),
    )  # fmt: skip
    max_log_size: int = _setting(
        "FN_MAX_LOG_SIZE_BYTES", 1024 * 1024,
        "process driver: output kept per container, older output dropped (logged when it "
        "fails to start)", _integer(),
    )  # fmt: skip
    pids_limit: int = _setting(
        "FN_CONTAINER_PIDS_LIMIT", 50, "docker driver: processes per container", _integer(1)
    )
    docker_network: str = _setting(
        "FN_DOCKER_NETWORK", "none", "docker driver: network mode of function containers"
    )
    container_label: str = _setting(
        "FN_CONTAINER_LABEL", "",
        "docker driver: label value marking this node's containers (default: a fresh one)",
    )  # fmt: skip

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        get = _Reader(env)
        values: dict[str, object] = {}
        for f in fields(cls):
            text = get(f.metadata["env"])
            if text is not None:
                values[f.name] = f.metadata["parse"](f.metadata["env"], text)
        if isinstance(values.get("public_lb_url"), str):
            values["public_lb_url"] = str(values["public_lb_url"]).rstrip("/")
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check_role()
        return settings

    def check_role(self) -> None:
        """What the node type needs is there (one line at start otherwise)."""
        if self.node_type == "lb":
            if not self.runner_api_url:
                raise ConfigError("FN_NODE_TYPE=lb needs FN_RUNNER_API_URL (the API node)")
            if not self.runner_addresses:
                raise ConfigError("FN_NODE_TYPE=lb needs FN_RUNNER_ADDRESSES (pure runners)")


@dataclass(frozen=True)
class SettingDoc:
    env: str
    default: str
    meaning: str


def documented() -> list[SettingDoc]:
    """The table of every variable, as the README shows it."""
    docs = []
    for f in fields(Settings):
        default = f.default if f.default_factory is MISSING else None
        docs.append(SettingDoc(f.metadata["env"], _shown(default), f.metadata["meaning"]))
    return docs


def markdown_table() -> str:
    """The README's table of every variable (a test keeps the README equal to it)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for doc in documented():
        default = f"`{doc.default}`" if doc.default else ""
        rows.append(f"| `{doc.env}` | {default} | {doc.meaning} |")
    return "\n".join(rows)


def _shown(value: Any) -> str:
    if value is None or value == "" or value == ():
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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


__all__ = ["DRIVERS", "NODE_TYPES", "SettingDoc", "Settings", "documented", "markdown_table"]
