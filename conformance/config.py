"""The suite's configuration: command-line options beat environment, environment beats file.

Environment: ``FN_API_URL`` and ``FNCONF_<KEY>`` (upper-case key). File: TOML given by
``--config`` or ``FNCONF_CONFIG``, with the keys of :class:`ConformanceConfig`. Unknown keys
and bad values are errors (:class:`InvalidConfig`), each one line that names the setting the
way the user can set it and says what would be accepted.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import capabilities
from ._container import IMAGE_PORT
from .errors import InvalidConfig
from .probe import PROBE_IMAGE, STATUS_IMAGE
from .recorder import REDACTED, SENSITIVE_HEADERS

EFFORTS = ("dev", "ci", "thorough")
EVICTOR_MODES = ("blocking", "non-blocking")


@dataclass(frozen=True)
class ConformanceConfig:
    #: Base URL of the target's management API; empty: start the embedded reference server.
    api_url: str = ""
    #: Base URL for /invoke and /t (defaults to api_url).
    invoke_url: str = ""
    #: Extra headers sent with every request (values of auth headers are redacted in reports).
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Bearer token, sent as "Authorization: Bearer <token>"; never written anywhere.
    token: str = ""
    #: Which requirement areas are in scope (see the catalogue's profiles).
    profile: str = "full"
    #: Only requirements whose ID matches one of these patterns (``FN-PAGE-*``); empty: all.
    requirements: tuple[str, ...] = ()
    #: Run the tests that send input known to break fragile servers (they run last).
    disruptive: bool = True
    #: Shell command that brings a crashed target back (e.g. ``docker restart fnserver``).
    restart_command: str = ""
    #: Hypothesis effort: dev (fast), ci, thorough.
    effort: str = "ci"
    #: Capability overrides, e.g. {"hybrid_api": false}.
    capabilities: Mapping[str, bool] = field(default_factory=dict)
    #: The target's request size limit in bytes, when known (enables FN-SEC-001).
    max_request_size: int = 0
    #: Multiplies every timeout and wait of the suite.
    timeout_multiplier: float = 1.0
    #: Seconds per HTTP request before it counts as unanswered (times the multiplier).
    request_timeout: float = 10.0
    #: Names every resource of the run; random when empty.
    run_id: str = ""
    #: Largest number of requests the run may send; 0 means no limit.
    request_budget: int = 0
    #: Where reports/<run-id>/ go.
    report_dir: str = "reports"
    #: Known deviations of this target (YAML or JSON), so only new ones fail the run.
    baseline: str = ""
    #: Hypothesis seed for the run; 0 picks a random one (recorded in the report).
    seed: int = 0
    #: Image name given to the fns the management areas create (never run).
    fn_image: str = "fn-conformance/echo:1"
    #: Image of the probe function the invoke areas run (``fn-conformance build-probe``).
    probe_image: str = PROBE_IMAGE
    #: Memory in bytes the target's node can give containers, when known (enables FN-INV-008).
    node_memory: int = 0
    #: Full nodes that share the target's datastore and whose memory fits one probe container,
    #: by resource mode (``blocking`` / ``non-blocking``) -> invoke URL: the evictor area.
    evictor_nodes: Mapping[str, str] = field(default_factory=dict)
    #: Memory (MB) of the evictor area's fns: one fits an evictor node, two do not.
    evictor_fn_memory: int = 128
    #: Base URL of an LB node that places calls on pure runners (the LB and HYB areas).
    lb_url: str = ""
    #: gRPC ``host:port`` addresses of the pure runners behind the LB (the RUN area).
    runners: tuple[str, ...] = ()
    #: The runners' status image (FN_STATUS_IMAGE), which no regular call may name.
    status_image: str = STATUS_IMAGE
    #: Shell command that stops or starts a pure runner: the suite appends ``stop N`` or
    #: ``start N`` (N: the runner's index in ``runners``). Enables FN-LB-004.
    runner_command: str = ""
    #: A container image to start as the target (through testcontainers, on the engine at
    #: DOCKER_HOST); the suite restarts it after a crash and always removes it.
    target_image: str = ""
    #: Environment of the target image's container (``FN_*`` settings), NAME -> value.
    target_env: Mapping[str, str] = field(default_factory=dict)
    #: The port the target image serves inside its container.
    target_port: int = IMAGE_PORT
    #: Also start two evictor nodes of the target image (blocking and non-blocking, memory for
    #: one probe container each) on the target's datastore: the evictor area on an image.
    target_evictor_nodes: bool = False

    def __post_init__(self) -> None:
        if self.effort not in EFFORTS:
            raise InvalidConfig(
                f"{_name('effort')} must be one of {', '.join(EFFORTS)}, not {self.effort!r}"
            )
        for name in self.capabilities:
            if name not in capabilities.REGISTRY:
                raise InvalidConfig(
                    f"unknown capability {name!r} in {_name('capabilities')} "
                    f"(known: {', '.join(capabilities.NAMES)})"
                )
        for mode, url in self.evictor_nodes.items():
            if mode not in EVICTOR_MODES:
                raise InvalidConfig(
                    f"{_name('evictor_nodes')}: the mode must be {' or '.join(EVICTOR_MODES)}, "
                    f"not {mode!r}"
                )
            if not url.startswith(("http://", "https://")):
                raise InvalidConfig(
                    f"{_name('evictor_nodes')}: {mode}= must be an http:// or https:// URL, "
                    f"not {url!r}"
                )
        if self.timeout_multiplier <= 0:
            raise InvalidConfig(
                f"{_name('timeout_multiplier')} must be above 0, e.g. 2.5, "
                f"not {self.timeout_multiplier:g}"
            )
        for key in ("request_budget", "max_request_size", "seed", "node_memory"):
            if getattr(self, key) < 0:
                raise InvalidConfig(
                    f"{_name(key)} must be 0 (none) or more, not {getattr(self, key)}"
                )
        for address in self.runners:
            host, _, port = address.rpartition(":")
            if not host or not port.isdigit():
                raise InvalidConfig(
                    f"{_name('runners')}: a runner is a gRPC host:port such as "
                    f"127.0.0.1:9190, not {address!r}"
                )
        for key in ("api_url", "invoke_url", "lb_url"):
            url = getattr(self, key)
            if url and (not url.startswith(("http://", "https://")) or url[-3:] == "://"):
                raise InvalidConfig(
                    f"{_name(key)} must be an http:// or https:// URL "
                    f"such as http://127.0.0.1:8080, not {url!r}"
                )
        if self.target_image and self.restart_command:
            raise InvalidConfig(
                f"{_name('restart_command')} is for a target the suite did not start: with "
                f"{_name('target_image')} the suite restarts the container itself"
            )
        if self.target_evictor_nodes and not self.target_image:
            raise InvalidConfig(
                f"{_name('target_evictor_nodes')} starts nodes of {_name('target_image')}: "
                "give the image too"
            )
        if self.target_env and not self.target_image:
            raise InvalidConfig(
                f"{_name('target_env')} sets the environment of {_name('target_image')}: "
                "give the image too"
            )
        if not 0 < self.target_port < 65536:
            raise InvalidConfig(
                f"{_name('target_port')} must be a TCP port (1-65535), not {self.target_port}"
            )
        if self.run_id and not self.run_id.isalnum():
            raise InvalidConfig(
                f"{_name('run_id')} must be letters and digits only, not {self.run_id!r}"
            )

    @property
    def all_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.token,) if self.token else ()

    @property
    def timeout(self) -> float:
        """Seconds one request may take."""
        return self.request_timeout * self.timeout_multiplier

    def capability(self, name: str) -> bool:
        return capabilities.enabled(name, self, self.capabilities)

    def redacted(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["token"] = REDACTED if self.token else ""
        data["headers"] = {
            k: (REDACTED if k.lower() in SENSITIVE_HEADERS else v) for k, v in self.headers.items()
        }
        data["requirements"] = list(self.requirements)
        data["runners"] = list(self.runners)
        data["target_env"] = {k: _redact_setting(k, v) for k, v in self.target_env.items()}
        return data


#: Parts of a setting's name that mark its value as a secret.
_SECRET_NAMES = ("PASSWORD", "PASSWD", "TOKEN", "SECRET", "KEY", "CREDENTIAL")


def _redact_setting(name: str, value: str) -> str:
    """A target setting as reports may show it: secrets and URL passwords redacted."""
    if any(part in name.upper() for part in _SECRET_NAMES):
        return REDACTED
    parts = urlsplit(value)
    if parts.password:
        return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
    return value


FIELDS = {f.name: f for f in dataclasses.fields(ConformanceConfig)}
#: The ``fn-conformance run`` flag of each setting whose flag is not ``--<key-with-dashes>``.
_FLAGS = {
    "api_url": "--target",
    "headers": "--header",
    "capabilities": "--capability",
    "requirements": "--requirement",
    "disruptive": "--no-disruptive",
    "evictor_nodes": "--evictor-node",
    "runners": "--runner",
    "target_env": "--target-env",
}
#: Settings the command line does not take (file and environment only).
FILE_ONLY = ("request_timeout",)


def flag(key: str) -> str:
    """The ``fn-conformance run`` option of setting ``key`` (``--fn-...`` under pytest)."""
    return _FLAGS.get(key, "--" + key.replace("_", "-"))


def env_name(key: str) -> str:
    return "FN_API_URL" if key == "api_url" else f"FNCONF_{key.upper()}"


def _name(key: str) -> str:
    if key in FILE_ONLY:
        return f"{key} ({env_name(key)})"
    return f"{key} ({flag(key)}, {env_name(key)})"


def _coerce(key: str, value: Any) -> Any:
    """Turn a text (env, CLI) or TOML value into the field's type."""
    default = FIELDS[key].default if FIELDS[key].default is not dataclasses.MISSING else None
    try:
        if key in ("headers", "capabilities", "evictor_nodes", "target_env"):
            if isinstance(value, Mapping):
                items = dict(value)
            elif isinstance(value, str) and value.strip().startswith("{"):
                items = json.loads(value)
            else:
                items = dict(
                    _pair(p) for p in (value if isinstance(value, list) else value.split(",")) if p
                )
            if key == "capabilities":
                return {k: _bool(v) for k, v in items.items()}
            return {str(k): str(v) for k, v in items.items()}
        if key in ("requirements", "runners"):
            parts = value if isinstance(value, list | tuple) else str(value).split(",")
            return tuple(str(p).strip() for p in parts if str(p).strip())
        if isinstance(default, bool):
            return _bool(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        return str(value)
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidConfig(f"bad value for {_name(key)}: {value!r} ({exc})") from None


def _pair(text: str) -> tuple[str, str]:
    sep = "=" if "=" in text else ":" if ":" in text else ""
    if not sep:
        raise ValueError(f"expected NAME=VALUE, got {text!r}")
    name, value = text.split(sep, 1)
    if not name.strip():
        raise ValueError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected on or off, got {value!r}")


def from_file(path: str | Path) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidConfig(f"cannot read the config file {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidConfig(f"the config file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise InvalidConfig(
            f"unknown keys in the config file {path}: {', '.join(unknown)} "
            f"(known: {', '.join(FIELDS)})"
        )
    return {k: _coerce(k, v) for k, v in data.items()}


def from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if environ.get("FN_API_URL"):
        values["api_url"] = environ["FN_API_URL"]
    for name, text in environ.items():
        if not name.startswith("FNCONF_") or name == "FNCONF_CONFIG" or text == "":
            continue
        key = name.removeprefix("FNCONF_").lower()
        if key not in FIELDS or key == "api_url":
            raise InvalidConfig(
                f"unknown setting {name} in the environment (unset it; known: "
                f"{', '.join(env_name(k) for k in FIELDS)})"
            )
        values[key] = _coerce(key, text)
    return values


def build(
    options: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: str | None = None,
) -> ConformanceConfig:
    """Merge file < environment < options (``None`` option values are ignored)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or env.get("FNCONF_CONFIG")
    if path:
        values.update(from_file(path))
    values.update(from_env(env))
    for key, value in (options or {}).items():
        if key not in FIELDS:
            raise InvalidConfig(f"unknown option {key}")
        if value is not None and value != [] and value != {}:
            values[key] = _coerce(key, value)
    for key in ("api_url", "invoke_url"):
        if values.get(key):
            values[key] = values[key].rstrip("/")
    return ConformanceConfig(**values)


__all__ = ["EFFORTS", "FIELDS", "ConformanceConfig", "build", "env_name", "flag"]
