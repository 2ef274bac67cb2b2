"""Evidence: every request the suite sends and what came back, redacted before it is kept.

A :class:`Recorder` holds what one test produced: its exchanges, the findings of the generic
checks (which let the test go on to its own assertions), and the requirements the test judged
at run time (for tests whose cases decide that, like the schema-driven negative tests).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from .failures import ConformanceFailure

EXCERPT = 2000
#: Request bodies up to this size are kept whole, so the curl line reproduces them exactly.
CURL_BODY_LIMIT = 64 * 1024
REDACTED = "<redacted>"
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
_SKIPPED_CURL_HEADERS = ("content-length", "accept-encoding", "connection", "user-agent")
_PLAIN = re.compile(r"[\t\x20-\x7e]*")


def _excerpt(body: bytes | str | None) -> str:
    if body is None:
        return ""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    return text if len(text) <= EXCERPT else f"{text[:EXCERPT]}... ({len(text)} characters)"


def _as_bytes(body: bytes | str | None) -> bytes:
    if body is None:
        return b""
    return body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")


def redact_headers(headers: Any, secrets: tuple[str, ...] = ()) -> dict[str, str]:
    out = {}
    for name, value in dict(headers).items():
        if name.lower() in SENSITIVE_HEADERS or any(s and s in value for s in secrets):
            out[name] = REDACTED
        else:
            out[name] = value
    return out


def shell_word(value: str | bytes) -> str:
    """``value`` as one word any POSIX-like shell (bash, zsh) reads back byte for byte.

    Printable ASCII is single-quoted; anything else uses ANSI-C quoting (``$'...'``) with
    every other byte escaped as ``\\xHH``. A NUL byte cannot be part of a word at all: callers
    pass such data on standard input (see :meth:`Exchange.curl`).
    """
    data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    text = data.decode("latin-1")
    if _PLAIN.fullmatch(text):
        return shlex.quote(text)
    return "$'" + "".join(_ansi_c(byte) for byte in data) + "'"


def _ansi_c(byte: int) -> str:
    char = chr(byte)
    if char in "\\'":
        return "\\" + char
    if 0x20 <= byte <= 0x7E:
        return char
    return f"\\x{byte:02x}"


def _printf_escaped(data: bytes) -> str:
    """``data`` for ``printf '%b'``: octal escapes for every byte outside printable ASCII."""
    out = []
    for byte in data:
        char = chr(byte)
        if char == "\\":
            out.append("\\\\")
        elif char == "'":
            out.append("'\\''")
        elif char == "%":
            out.append("%%")
        elif 0x20 <= byte <= 0x7E:
            out.append(char)
        else:
            out.append(f"\\0{byte:03o}")
    return "".join(out)


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
    #: The request body as sent (up to CURL_BODY_LIMIT bytes), for an exact curl line.
    request_bytes: bytes = b""
    request_size: int = 0

    @classmethod
    def from_request(
        cls,
        method: str,
        url: str,
        headers: Any,
        body: bytes | str | None,
        *,
        secrets: tuple[str, ...] = (),
        error: str = "",
    ) -> Exchange:
        data = _as_bytes(body)
        return cls(
            method=method,
            url=url,
            request_headers=redact_headers(headers or {}, secrets),
            request_body=_excerpt(data),
            error=error,
            request_bytes=data[:CURL_BODY_LIMIT],
            request_size=len(data),
        )

    @classmethod
    def from_response(cls, response: requests.Response, secrets: tuple[str, ...] = ()) -> Exchange:
        req = response.request
        exchange = cls.from_request(
            req.method or "", req.url or "", req.headers, req.body, secrets=secrets
        )
        exchange.status = response.status_code
        exchange.response_headers = redact_headers(response.headers, secrets)
        exchange.response_body = _excerpt(response.content)
        exchange.elapsed_ms = round(response.elapsed.total_seconds() * 1000, 2)
        return exchange

    def curl(self) -> str:
        """A command line that sends this request again, accepted by bash and zsh."""
        parts = ["curl", "-i", "-X", shell_word(self.method)]
        for name, value in self.request_headers.items():
            if name.lower() not in _SKIPPED_CURL_HEADERS:
                parts += ["-H", shell_word(f"{name}: {value}")]
        prefix = ""
        if self.request_size > len(self.request_bytes):
            parts += ["--data-binary", "@body.bin"]
            prefix = f"# body.bin: the {self.request_size}-byte request body (not kept)\n"
        elif b"\x00" in self.request_bytes:
            prefix = f"printf '%b' '{_printf_escaped(self.request_bytes)}' | "
            parts += ["--data-binary", "@-"]
        elif self.request_bytes:
            parts += ["--data-binary", shell_word(self.request_bytes)]
        parts.append(shell_word(self.url))
        return prefix + " ".join(parts)

    def summary(self) -> str:
        lines = [f"> {self.method} {self.url}"]
        if self.request_body:
            lines.append(f"> {self.request_body[:500]}")
        if self.error:
            lines.append(f"< no answer: {self.error}")
        else:
            ctype = self.response_headers.get(
                "content-type", self.response_headers.get("Content-Type", "")
            )
            lines.append(f"< {self.status} ({ctype or 'no content-type'})")
            if self.response_body:
                lines.append(f"< {self.response_body[:500]}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "request_headers": self.request_headers,
            "request_body": self.request_body,
            "status": self.status,
            "response_headers": self.response_headers,
            "response_body": self.response_body,
            "elapsed_ms": self.elapsed_ms,
            "error": self.error,
            "curl": self.curl(),
        }


class Recorder:
    """What the current test produced; the plugin starts a new one for every test."""

    def __init__(self, *, keep: int = 50) -> None:
        self.exchanges: list[Exchange] = []
        #: Findings of the generic checks; the test went on after each.
        self.findings: list[ConformanceFailure] = []
        #: Requirements the test judged at run time (beyond those its marker names).
        self.judged: set[str] = set()
        #: The test saw a 5xx or got no answer: worth a liveness check when it ends.
        self.alarming = False
        #: What the request in flight judges, when a test says so (a generated case); None:
        #: the test's own requirements. A target that dies on that request fails these.
        self.subject: tuple[str, ...] | None = None
        #: Numbers the test measured (timings), reported with the run.
        self.measurements: list[dict[str, Any]] = []
        self._keep = keep

    def reset(self) -> None:
        """Forget everything: a new test begins."""
        self.exchanges, self.findings, self.judged, self.alarming = [], [], set(), False
        self.subject = None
        self.measurements = []

    def measure(self, name: str, value: float, unit: str, **context: Any) -> None:
        """Keep a number this test measured (``evictor.time_to_evictable``, 1.2, ``s``)."""
        self.measurements.append({"name": name, "value": round(value, 4), "unit": unit, **context})

    def add(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        if exchange.error or (exchange.status or 0) >= 500:
            self.alarming = True
        if len(self.exchanges) > self._keep:
            del self.exchanges[0]

    def note(self, finding: ConformanceFailure) -> None:
        """Keep a finding of a generic check (the first of each requirement and title)."""
        key = (finding.requirement_id, finding.title)
        if all((f.requirement_id, f.title) != key for f in self.findings):
            self.findings.append(finding)

    def judge(self, *requirement_ids: str) -> None:
        self.judged.update(requirement_ids)

    def last_answered(self) -> Exchange | None:
        for exchange in reversed(self.exchanges):
            if not exchange.error:
                return exchange
        return None
