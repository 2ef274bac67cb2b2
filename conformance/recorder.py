"""Evidence: every request the suite sends and what came back, redacted before it is kept."""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass, field
from typing import Any

import requests

EXCERPT = 2000
REDACTED = "<redacted>"
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


def _excerpt(body: bytes | str | None) -> str:
    if body is None:
        return ""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    return text if len(text) <= EXCERPT else f"{text[:EXCERPT]}... ({len(text)} characters)"


def redact_headers(headers: Any, secrets: tuple[str, ...] = ()) -> dict[str, str]:
    out = {}
    for name, value in dict(headers).items():
        if name.lower() in SENSITIVE_HEADERS or any(s and s in value for s in secrets):
            out[name] = REDACTED
        else:
            out[name] = value
    return out


@dataclass
class Exchange:
    """One request and its response (or the transport error), as text excerpts."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    elapsed_ms: float = 0.0
    error: str = ""

    @classmethod
    def from_response(cls, response: requests.Response, secrets: tuple[str, ...] = ()) -> Exchange:
        req = response.request
        return cls(
            method=req.method or "",
            url=req.url or "",
            request_headers=redact_headers(req.headers, secrets),
            request_body=_excerpt(req.body),
            status=response.status_code,
            response_headers=redact_headers(response.headers, secrets),
            response_body=_excerpt(response.content),
            elapsed_ms=round(response.elapsed.total_seconds() * 1000, 2),
        )

    def curl(self) -> str:
        parts = ["curl", "-i", "-X", self.method]
        for name, value in self.request_headers.items():
            if name.lower() in ("content-length", "accept-encoding", "connection", "user-agent"):
                continue
            parts += ["-H", f"{name}: {value}"]
        if self.request_body:
            parts += ["--data-binary", self.request_body]
        parts.append(self.url)
        return " ".join(shlex.quote(p) for p in parts)

    def summary(self) -> str:
        lines = [f"> {self.method} {self.url}"]
        if self.request_body:
            lines.append(f"> {self.request_body[:500]}")
        if self.error:
            lines.append(f"< transport error: {self.error}")
        else:
            ctype = self.response_headers.get(
                "content-type", self.response_headers.get("Content-Type", "")
            )
            lines.append(f"< {self.status} ({ctype or 'no content-type'})")
            if self.response_body:
                lines.append(f"< {self.response_body[:500]}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["curl"] = self.curl()
        return data


class Recorder:
    """Keeps the exchanges of the current test; the plugin resets it between tests."""

    def __init__(self, *, keep: int = 50) -> None:
        self.exchanges: list[Exchange] = []
        self.total = 0
        self._keep = keep

    def add(self, exchange: Exchange) -> None:
        self.total += 1
        self.exchanges.append(exchange)
        if len(self.exchanges) > self._keep:
            del self.exchanges[0]

    def reset(self) -> list[Exchange]:
        taken, self.exchanges = self.exchanges, []
        return taken

    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None


def dumps(exchanges: list[Exchange]) -> str:
    return json.dumps([e.to_dict() for e in exchanges])
