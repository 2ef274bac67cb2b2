"""A typed HTTP client for Fn targets; its methods are the swagger operationIds in snake_case.

Every exchange is recorded (redacted) as evidence, counted against the request budget, and run
through the generic checks (no 5xx, errors as one JSON document, JSON content types) unless the
caller opts out with ``check=False``. A check's finding is recorded, not raised: the test goes on
to its own assertions. A request that gets no answer goes to ``on_no_answer`` (the plugin's
watchdog decides whether the target died), else it raises :class:`TargetUnavailable`.
"""

from __future__ import annotations

import json as jsonlib
import threading
from collections.abc import Callable
from typing import Any, NoReturn
from urllib.parse import quote, urlsplit

import requests

from .checks import DEFAULT_CHECKS, Observed, run_checks
from .errors import BudgetExhausted, TargetUnavailable
from .recorder import Exchange, Recorder

_ABSENT: Any = object()
#: ``before(method, path, body)`` runs before a request is sent (the ledger's write-ahead);
#: ``after(method, path, response)`` after an answer came.
BeforeSend = Callable[[str, str, Any], None]
AfterAnswer = Callable[[str, str, requests.Response], None]


class Budget:
    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def spend(self) -> None:
        with self._lock:
            self.used += 1
            if self.limit is not None and self.used > self.limit:
                raise BudgetExhausted(f"request budget of {self.limit} requests is used up")


class FnClient:
    def __init__(
        self,
        api_url: str,
        *,
        invoke_url: str | None = None,
        headers: dict[str, str] | None = None,
        secrets: tuple[str, ...] = (),
        timeout: float = 10.0,
        recorder: Recorder | None = None,
        budget: Budget | None = None,
        checks: tuple[str, ...] = DEFAULT_CHECKS,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.invoke_url = (invoke_url or api_url).rstrip("/")
        self.timeout = timeout
        self.recorder = recorder or Recorder()
        self.budget = budget or Budget(None)
        self.checks = checks
        self._secrets = secrets
        self._session = requests.Session()
        self._session.headers.update(headers or {})
        self.before_send: list[BeforeSend] = []
        self.after_answer: list[AfterAnswer] = []
        #: Called with the exchange of a request that got no answer; it raises.
        self.on_no_answer: Callable[[Exchange], NoReturn] | None = None

    def unchecked(self) -> FnClient:
        """The same client without generic checks (for cleanup and probes)."""
        clone = FnClient.__new__(FnClient)
        clone.__dict__.update(self.__dict__)
        clone.checks = ()
        return clone

    # -- transport -------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = _ABSENT,
        data: bytes | str | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        base: str | None = None,
        check: bool = True,
    ) -> requests.Response:
        """Send one request; ``json`` may be any JSON value, including ``None`` (sent as null)."""
        send_headers = dict(headers or {})
        if json is not _ABSENT:
            data = jsonlib.dumps(json)
            send_headers.setdefault("Content-Type", "application/json")
        url = (base or self.api_url) + path
        self.budget.spend()
        if self.before_send:
            body = json if json is not _ABSENT else _parsed(data)
            for hook in self.before_send:
                hook(method, path, body)
        try:
            response = self._session.request(
                method, url, data=data, params=params, headers=send_headers,
                timeout=self.timeout, allow_redirects=False,
            )  # fmt: skip
        except requests.RequestException as exc:
            self.no_answer(exc, method, url, data, params=params, headers=send_headers)
        exchange = Exchange.from_response(response, self._secrets)
        self.recorder.add(exchange)
        response.exchange = exchange  # type: ignore[attr-defined]
        for after in self.after_answer:
            after(method, path, response)
        if check and self.checks:
            for finding in run_checks(observe(response, exchange), self.checks):
                self.recorder.note(finding)
        return response

    def no_answer(
        self,
        exc: requests.RequestException,
        method: str,
        url: str,
        data: Any,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> NoReturn:
        """Record a request that got no answer, and let the watchdog judge the target."""
        prepared = requests.Request(method, url, params=params).prepare()
        exchange = Exchange.from_request(
            method, prepared.url or url, {**self._session.headers, **(headers or {})}, data,
            secrets=self._secrets, error=_reason(exc),
        )  # fmt: skip
        self.recorder.add(exchange)
        if self.on_no_answer is not None:
            self.on_no_answer(exchange)
        raise TargetUnavailable(f"{method} {url}: {exchange.error}") from exc

    # -- apps ------------------------------------------------------------------------------

    def create_app(self, body: Any, **kw: Any) -> requests.Response:
        return self.request("POST", "/v2/apps", json=body, **kw)

    def get_app(self, app_id: str, **kw: Any) -> requests.Response:
        return self.request("GET", f"/v2/apps/{_seg(app_id)}", **kw)

    def update_app(self, app_id: str, body: Any, **kw: Any) -> requests.Response:
        return self.request("PUT", f"/v2/apps/{_seg(app_id)}", json=body, **kw)

    def delete_app(self, app_id: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", f"/v2/apps/{_seg(app_id)}", **kw)

    def list_apps(self, check: bool = True, **params: Any) -> requests.Response:
        return self.request("GET", "/v2/apps", params=params, check=check)

    # -- fns -------------------------------------------------------------------------------

    def create_fn(self, body: Any, **kw: Any) -> requests.Response:
        return self.request("POST", "/v2/fns", json=body, **kw)

    def get_fn(self, fn_id: str, **kw: Any) -> requests.Response:
        return self.request("GET", f"/v2/fns/{_seg(fn_id)}", **kw)

    def update_fn(self, fn_id: str, body: Any, **kw: Any) -> requests.Response:
        return self.request("PUT", f"/v2/fns/{_seg(fn_id)}", json=body, **kw)

    def delete_fn(self, fn_id: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", f"/v2/fns/{_seg(fn_id)}", **kw)

    def list_fns(self, check: bool = True, **params: Any) -> requests.Response:
        return self.request("GET", "/v2/fns", params=params, check=check)

    # -- triggers --------------------------------------------------------------------------

    def create_trigger(self, body: Any, **kw: Any) -> requests.Response:
        return self.request("POST", "/v2/triggers", json=body, **kw)

    def get_trigger(self, trigger_id: str, **kw: Any) -> requests.Response:
        return self.request("GET", f"/v2/triggers/{_seg(trigger_id)}", **kw)

    def update_trigger(self, trigger_id: str, body: Any, **kw: Any) -> requests.Response:
        return self.request("PUT", f"/v2/triggers/{_seg(trigger_id)}", json=body, **kw)

    def delete_trigger(self, trigger_id: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", f"/v2/triggers/{_seg(trigger_id)}", **kw)

    def list_triggers(self, check: bool = True, **params: Any) -> requests.Response:
        return self.request("GET", "/v2/triggers", params=params, check=check)

    def get_trigger_by_source(
        self, app_id: str, type_: str, source: str, **kw: Any
    ) -> requests.Response:
        """The runner API; ``source`` is the stored source with its leading '/'."""
        path = f"/v2/runner/apps/{_seg(app_id)}/triggerBySource/{_seg(type_)}/{quote(source)}"
        return self.request("GET", path, **kw)

    # -- service ---------------------------------------------------------------------------

    # -- invocation ------------------------------------------------------------------------

    def invoke(
        self,
        fn_id: str,
        data: bytes | str = b"",
        *,
        headers: dict[str, str] | None = None,
        method: str = "POST",
        base: str | None = None,
        check: bool = True,
    ) -> requests.Response:
        """``POST /invoke/{fn_id}`` on the invoke URL (or ``base``, another node)."""
        return self.request(
            method, f"/invoke/{_seg(fn_id)}", data=data, headers=headers,
            base=base or self.invoke_url, check=check,
        )  # fmt: skip

    def call_trigger(
        self,
        app_name: str,
        source: str,
        data: bytes | str | None = None,
        *,
        method: str = "POST",
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        base: str | None = None,
        check: bool = True,
    ) -> requests.Response:
        """``/t/{app_name}{source}`` with any method; the source is sent as it is."""
        path = f"/t/{_seg(app_name)}{quote(source, safe='/')}"
        return self.request(
            method, path, data=data, headers=headers, params=query,
            base=base or self.invoke_url, check=check,
        )  # fmt: skip

    def fresh(self) -> FnClient:
        """The same client on a connection of its own (for calls that overlap in threads)."""
        clone = FnClient.__new__(FnClient)
        clone.__dict__.update(self.__dict__)
        clone._session = requests.Session()
        clone._session.headers.update(self._session.headers)
        return clone

    def get_root(self, **kw: Any) -> requests.Response:
        return self.request("GET", "/", **kw)

    def get_version(self, **kw: Any) -> requests.Response:
        return self.request("GET", "/version", **kw)

    def get_metrics(self, **kw: Any) -> requests.Response:
        return self.request("GET", "/metrics", **kw)


def _parsed(data: bytes | str | None) -> Any:
    """A raw body as JSON when it is JSON (so the ledger sees the name of a raw create)."""
    if not data:
        return None
    try:
        return jsonlib.loads(data)
    except (ValueError, RecursionError):
        return None


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return f"no answer within the timeout ({exc.__class__.__name__})"
    if isinstance(exc, requests.ConnectionError):
        return f"connection failed: {str(exc)[:300]}"
    return f"{exc.__class__.__name__}: {str(exc)[:300]}"


def _seg(value: str) -> str:
    return quote(value, safe="")


def observe(response: requests.Response, exchange: Exchange | None = None) -> Observed:
    request = response.request
    return Observed(
        method=request.method or "",
        path=urlsplit(request.url or "").path,
        status=response.status_code,
        headers={k.lower(): v for k, v in response.headers.items()},
        body=response.content,
        exchange=exchange,
    )


__all__ = ["Budget", "FnClient", "observe"]
