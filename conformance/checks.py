"""Generic checks run on every response, by the hand-written tests and by the schema area.

A check is a plain function ``(observed) -> None`` registered by name with ``@check``; it
passes by returning and fails by raising :class:`ConformanceFailure` naming its requirement.
:func:`run_checks` runs them all and hands back their findings: the client records those and
lets the test go on to its own assertions, so a generic finding never hides a specific one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from .errors import InvalidConfig
from .failures import ConformanceFailure
from .recorder import Exchange


@dataclass(frozen=True)
class Observed:
    """What a check looks at: the request line and the response, transport-independent."""

    method: str
    path: str
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    exchange: Exchange | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def is_management(self) -> bool:
        return self.path.startswith("/v2/")

    @property
    def is_invoke(self) -> bool:
        """A call of a function: its statuses (502, 503, 504, or what a trigger's function
        chose) are judged by the invoke areas' own tests, not by the generic checks."""
        return self.path.startswith(("/invoke/", "/t/"))


CheckFn = Callable[[Observed], None]


class Registry:
    """Checks by name; a name can be registered once."""

    def __init__(self) -> None:
        self._checks: dict[str, CheckFn] = {}

    def register(self, fn: CheckFn) -> CheckFn:
        if fn.__name__ in self._checks:
            raise InvalidConfig(f"check {fn.__name__!r} is registered twice")
        self._checks[fn.__name__] = fn
        return fn

    def get(self, names: list[str]) -> list[CheckFn]:
        unknown = [n for n in names if n not in self._checks]
        if unknown:
            raise InvalidConfig(f"unknown checks: {', '.join(unknown)}")
        return [self._checks[n] for n in names]

    def __iter__(self) -> Iterator[CheckFn]:
        return iter(self._checks.values())

    def names(self) -> list[str]:
        return list(self._checks)


REGISTRY = Registry()
check = REGISTRY.register


def _fail(req: str, title: str, message: str, observed: Observed) -> ConformanceFailure:
    return ConformanceFailure(title, message, requirement_id=req, exchange=observed.exchange)


@check
def no_server_error(observed: Observed) -> None:
    if observed.status >= 500 and not observed.is_invoke:
        raise _fail(
            "FN-ERR-005",
            "Server error for a client request",
            f"Received: {observed.status}\nExpected: a 2xx or 4xx answer",
            observed,
        )


@check
def error_is_one_json_document(observed: Observed) -> None:
    if observed.status < 400 or observed.method == "HEAD" or observed.is_invoke:
        return
    text = observed.body.decode("utf-8", errors="replace")
    try:
        document = json.loads(text)
    except ValueError:
        raise _fail(
            "FN-ERR-003",
            "Error body is not exactly one JSON document",
            f'Received: {text[:300]!r}\nExpected: one JSON object {{"message": ...}}',
            observed,
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("message"), str):
        raise _fail(
            "FN-ERR-003",
            "Error body lacks a string 'message'",
            f'Received: {text[:300]!r}\nExpected: {{"message": <string>}}',
            observed,
        )


def _require_json_type(observed: Observed, req: str, kind: str) -> None:
    if not observed.content_type.lower().startswith("application/json"):
        raise _fail(
            req,
            f"{kind} response is not typed application/json",
            f"Received: Content-Type {observed.content_type or '(none)'}\n"
            "Expected: application/json",
            observed,
        )


@check
def error_is_json_typed(observed: Observed) -> None:
    if observed.status >= 400 and observed.method != "HEAD" and not observed.is_invoke:
        _require_json_type(observed, "FN-ERR-004", "Error")


@check
def success_is_json_typed(observed: Observed) -> None:
    has_body = 200 <= observed.status < 300 and observed.status != 204
    if observed.is_management and has_body and observed.method != "HEAD":
        _require_json_type(observed, "FN-ERR-007", "Successful")


DEFAULT_CHECKS = tuple(REGISTRY.names())


def run_checks(
    observed: Observed, names: tuple[str, ...] = DEFAULT_CHECKS
) -> list[ConformanceFailure]:
    """Every check named; the findings of those that failed (each check runs regardless)."""
    found = []
    for fn in REGISTRY.get(list(names)):
        try:
            fn(observed)
        except ConformanceFailure as finding:
            found.append(finding)
    return found


__all__ = ["DEFAULT_CHECKS", "REGISTRY", "Observed", "Registry", "check", "run_checks"]
