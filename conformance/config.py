"""The suite's configuration: command-line options beat environment, environment beats file.

Environment: ``FN_API_URL`` and ``FNCONF_<KEY>`` (upper-case key). File: TOML given by
``--fn-config`` or ``FNCONF_CONFIG``, with the keys of :class:`ConformanceConfig`. Unknown keys
and bad values are errors, never ignored.
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

from .errors import InvalidConfig
from .recorder import REDACTED, SENSITIVE_HEADERS

EFFORTS = ("dev", "ci", "thorough")
CAPABILITIES = ("request_size_limit", "hybrid_api")


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
    profile: str = "core"
    #: Hypothesis effort: dev (fast), ci, thorough.
    effort: str = "ci"
    #: Capability overrides, e.g. {"hybrid_api": false}.
    capabilities: Mapping[str, bool] = field(default_factory=dict)
    #: The target's request size limit in bytes, when known (enables FN-SEC-001).
    max_request_size: int = 0
    #: Multiplies every timeout and wait of the suite.
    timeout_multiplier: float = 1.0
    #: Seconds per HTTP request before the exchange is an error (times the multiplier).
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
    #: Image name given to the fns the suite creates.
    fn_image: str = "fn-conformance/echo:1"

    def __post_init__(self) -> None:
        if self.effort not in EFFORTS:
            raise InvalidConfig(f"effort must be one of {', '.join(EFFORTS)}: {self.effort!r}")
        for name in self.capabilities:
            if name not in CAPABILITIES:
                raise InvalidConfig(
                    f"unknown capability {name!r} (known: {', '.join(CAPABILITIES)})"
                )
        if self.timeout_multiplier <= 0:
            raise InvalidConfig("timeout_multiplier must be positive")
        if self.request_budget < 0 or self.max_request_size < 0:
            raise InvalidConfig("request_budget and max_request_size must not be negative")
        for url in (self.api_url, self.invoke_url):
            if url and not url.startswith(("http://", "https://")):
                raise InvalidConfig(f"target URLs must start with http:// or https://: {url!r}")

    @property
    def all_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.token,) if self.token else ()

    def capability(self, name: str, default: bool = True) -> bool:
        if name == "request_size_limit" and name not in self.capabilities:
            return self.max_request_size > 0
        return self.capabilities.get(name, default)

    def redacted(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["token"] = REDACTED if self.token else ""
        data["headers"] = {
            k: (REDACTED if k.lower() in SENSITIVE_HEADERS else v) for k, v in self.headers.items()
        }
        return data


_FIELDS = {f.name: f for f in dataclasses.fields(ConformanceConfig)}


def _coerce(key: str, value: Any) -> Any:
    """Turn a text (env, CLI) or TOML value into the field's type."""
    default = _FIELDS[key].default if _FIELDS[key].default is not dataclasses.MISSING else None
    try:
        if key in ("headers", "capabilities"):
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
        if isinstance(default, bool):
            return _bool(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        return str(value)
    except (ValueError, TypeError) as exc:
        raise InvalidConfig(f"bad value for {key}: {value!r} ({exc})") from None


def _pair(text: str) -> tuple[str, str]:
    if "=" not in text and ":" not in text:
        raise ValueError(f"expected NAME=VALUE, got {text!r}")
    sep = "=" if "=" in text else ":"
    name, value = text.split(sep, 1)
    return name.strip(), value.strip()


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def from_file(path: str | Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidConfig(f"cannot read config file {path}: {exc}") from exc
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise InvalidConfig(f"unknown keys in {path}: {', '.join(unknown)}")
    return {k: _coerce(k, v) for k, v in data.items()}


def from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if environ.get("FN_API_URL"):
        values["api_url"] = environ["FN_API_URL"]
    for name, text in environ.items():
        if not name.startswith("FNCONF_") or name == "FNCONF_CONFIG" or text == "":
            continue
        key = name.removeprefix("FNCONF_").lower()
        if key not in _FIELDS:
            raise InvalidConfig(f"unknown setting {name}")
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
        if key not in _FIELDS:
            raise InvalidConfig(f"unknown option {key}")
        if value is not None and value != [] and value != {}:
            values[key] = _coerce(key, value)
    if values.get("api_url"):
        values["api_url"] = values["api_url"].rstrip("/")
    return ConformanceConfig(**values)


__all__ = ["CAPABILITIES", "EFFORTS", "ConformanceConfig", "build"]
