"""Is the target alive, and is it an Fn server? Decided before any test, and again after a crash.

:func:`preflight` runs before the first test: ``GET /``, ``GET /version`` and a list call,
within a few seconds in all. A target that cannot be reached, or answers like something that is
not an Fn server, stops the run with one line (exit 3) instead of hundreds of failures.

:func:`alive` is the watchdog's check during the run. A server can still answer ``/`` while its
datastore hangs (a wedged transaction), so it also needs a real read to answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests


@dataclass(frozen=True)
class Probe:
    ok: bool
    #: What was wrong, in one line (empty when ok).
    problem: str = ""
    version: str = ""


def _get(
    session: requests.Session, url: str, timeout: float
) -> tuple[requests.Response | None, str]:
    try:
        return session.get(url, timeout=timeout, allow_redirects=False), ""
    except requests.Timeout:
        return None, f"no answer within {timeout:g} s"
    except requests.ConnectionError as exc:
        return None, _connection_problem(exc)
    except requests.RequestException as exc:
        return None, f"{exc.__class__.__name__}: {str(exc)[:200]}"


def _connection_problem(exc: requests.ConnectionError) -> str:
    text = str(exc)
    for marker, said in (("Connection refused", "connection refused"),
                         ("Name or service not known", "unknown host"),
                         ("Temporary failure in name resolution", "unknown host"),
                         ("Connection reset", "connection reset"),
                         ("RemoteDisconnected", "the server closed the connection"),
                         ("No route to host", "no route to host")):  # fmt: skip
        if marker in text:
            return said
    return f"connection failed ({text[:160]})"


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _describe(response: requests.Response) -> str:
    ctype = response.headers.get("content-type", "no content type")
    return f"{response.status_code} ({ctype})"


def preflight(
    api_url: str, *, headers: dict[str, str] | None = None, budget_s: float = 5.0
) -> Probe:
    """Can the suite run against ``api_url``? Decided within about ``budget_s`` seconds."""
    deadline = time.monotonic() + budget_s
    with requests.Session() as session:
        session.headers.update(headers or {})

        def left() -> float:
            return max(0.5, deadline - time.monotonic())

        root, problem = _get(session, api_url + "/", left())
        if root is None:
            return Probe(False, f"cannot reach the target at {api_url}: {problem}")
        listing, problem = _get(session, api_url + "/v2/apps?per_page=1", left())
        if listing is None:
            return Probe(False, f"the target at {api_url} does not answer GET /v2/apps: {problem}")
        version_answer, _ = _get(session, api_url + "/version", left())
    version = _json(version_answer) if version_answer is not None else None
    version_text = version.get("version") if isinstance(version, dict) else None
    listed = _json(listing)
    looks_like_fn = isinstance(listed, dict) and "items" in listed
    if listing.status_code in (401, 403):
        return Probe(
            False,
            f"the target at {api_url} refused the suite's credentials: GET /v2/apps answered "
            f"{_describe(listing)} (give --token or --header)",
        )
    if not looks_like_fn and not isinstance(version_text, str):
        return Probe(
            False,
            f"the target at {api_url} does not look like an Fn server: GET /v2/apps answered "
            f"{_describe(listing)} without an 'items' list, and GET /version named no version",
        )
    return Probe(True, version=version_text if isinstance(version_text, str) else "")


def alive(api_url: str, *, headers: dict[str, str] | None = None, timeout: float = 3.0) -> Probe:
    """Does the target still answer, datastore included? (``/`` and a list of apps).

    Any HTTP answer counts, a 5xx too: a dead or wedged server gives none.
    """
    with requests.Session() as session:
        session.headers.update(headers or {})
        root, problem = _get(session, api_url + "/", timeout)
        if root is None:
            return Probe(False, f"GET / got no answer: {problem}")
        listing, problem = _get(session, api_url + "/v2/apps?per_page=1", timeout)
        if listing is None:
            return Probe(False, f"GET / answered but GET /v2/apps got no answer: {problem}")
    return Probe(True)


def wait_alive(
    api_url: str, *, headers: dict[str, str] | None = None, within: float = 60.0
) -> Probe:
    """Poll :func:`alive` until it holds or ``within`` seconds passed."""
    deadline = time.monotonic() + within
    probe = Probe(False, "not checked")
    while time.monotonic() < deadline:
        probe = alive(api_url, headers=headers, timeout=min(3.0, within))
        if probe.ok:
            return probe
        time.sleep(0.2)
    return probe


__all__ = ["Probe", "alive", "preflight", "wait_alive"]
