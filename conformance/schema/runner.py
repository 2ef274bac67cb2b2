"""The schema-driven runner: sends generated cases to the target safely, judges the answers.

Safe on real deployments: every generated name gets the run's prefix, every create is written
to the run's ledger before it is sent, links follow only what this run created (link inference
is off), and a guard refuses any write naming an entity the run saw but did not create. Every
request counts against the run's budget and is kept as evidence; an unanswered one goes to the
watchdog like any other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import CheckContext, GenerationMode, Response
from schemathesis import checks as builtin
from schemathesis.core.parameters import ParameterLocation
from schemathesis.errors import FailureGroup

from ..checks import Observed, run_checks
from ..client import FnClient
from ..config import ConformanceConfig
from ..errors import ConformanceError
from ..failures import ConformanceFailure
from ..ledger import Ledger
from ..recorder import Exchange
from ..resources import Names
from .names import NAMED_BODIES, repaired, scoped_name
from .requirements import (
    CHECK_INFO,
    FIELDS_FIRST,
    FIELDS_FIRST_REQS,
    Case,
    mutations,
    refusal_requirement,
    tolerated_acceptance,
)
from .spec import OPERATIONS, SCHEMA


def _one_document(response: Response) -> bool:
    if not response.content:
        return True
    try:
        json.loads(response.content)
    except ValueError:
        return False
    return True


def _body_negative(case: Case) -> bool:
    return case.meta is not None and case.meta.is_negative_at(ParameterLocation.BODY)


@schemathesis.check
def fn_field_rules_before_existence(ctx: CheckContext, response: Response, case: Case) -> None:
    """An invalid create body is 400 even when the app or fn it names does not exist."""
    operation_id = SCHEMA.get_operation_id(case.operation)
    negative = _body_negative(case) and not tolerated_acceptance(case)
    if operation_id in FIELDS_FIRST and response.status_code == 404 and negative:
        raise AssertionError(f"{operation_id} checks field rules before the app or fn exists")


BUILTIN_CHECKS = (
    builtin.not_a_server_error,
    builtin.status_code_conformance,
    builtin.content_type_conformance,
    builtin.response_schema_conformance,
    # positive_data_acceptance is never run: Swagger 2.0 cannot express annotation key rules,
    # Unicode-only name rules, NUL-free strings, opaque cursors or "body id equals path id", so
    # schema-valid requests are rightly refused. negative_data_rejection runs on negative
    # cases except tolerated_acceptance(); ensure_resource_availability is not run: a cascade
    # delete (app -> fns, triggers) makes a linked GET answer a correct 404 that it flags.
    builtin.negative_data_rejection,
    fn_field_rules_before_existence,
)
STATEFUL_CHECKS = (builtin.use_after_free,)


class Runner:
    """Sends generated cases to the target safely and turns check failures into findings."""

    def __init__(self, *, fn: FnClient, names: Names, ledger: Ledger, config: ConformanceConfig):
        self.fn, self.names, self.ledger = fn, names, ledger
        self.base_url = config.api_url.rstrip("/")
        self._base_path = urlsplit(self.base_url).path
        self._secrets = config.secrets
        self.timeout = config.request_timeout * config.timeout_multiplier
        self.session = requests.Session()
        self.session.headers.update(config.all_headers)
        self.session.hooks["response"].append(self._on_response)
        self.last_exchange: Exchange | None = None
        self._created: set[str] = set()
        self._seen: set[str] = set()
        self._strategies: dict[tuple[str, GenerationMode], st.SearchStrategy[Case]] = {}

    def strategy(self, operation_id: str, mode: GenerationMode) -> st.SearchStrategy[Case]:
        key = (operation_id, mode)
        if key not in self._strategies:
            self._strategies[key] = OPERATIONS[operation_id].as_strategy(generation_mode=mode)
        return self._strategies[key]

    def exercise(self, case: Case) -> None:
        self.verify(case, self.send(case))

    # -- sending ---------------------------------------------------------------------------

    def send(self, case: Case, *, repair: bool = False) -> Response:
        self._prepare(case, repair=repair)
        self._refuse_foreign(case)
        self.fn.budget.spend()
        method = case.method.upper()
        self.ledger.before_send(method, case.formatted_path, case.body)
        # A target that dies on a generated case fails FN-ERR-005 only: what made the case
        # invalid (a body field) need not be what killed the target (a path id, say).
        self.fn.recorder.subject = ()
        try:
            return case.call(base_url=self.base_url, session=self.session, timeout=self.timeout,
                             allow_redirects=False)  # fmt: skip
        except requests.RequestException as exc:
            url = self.base_url + case.formatted_path
            sent = case.body
            body = json.dumps(sent) if isinstance(sent, dict | list) else sent
            self.fn.no_answer(exc, method, url, body if isinstance(body, bytes | str) else None,
                              params=case.query)  # fmt: skip

    def _prepare(self, case: Case, *, repair: bool) -> None:
        """Prefix the generated name; with ``repair``, nudge a positive body to success."""
        operation_id = self.operation_id(case)
        if not isinstance(case.body, dict):
            return
        negative = _body_negative(case)
        body: dict[str, Any] = case.body
        if repair and not negative:
            body = repaired(body, case.path_parameters or {})
        kind = NAMED_BODIES.get(operation_id)
        if kind is not None and "name" in body:
            body = {**body, "name": scoped_name(self.names, kind, body["name"], negative=negative)}
        if body != case.body:
            case.body = body

    def _refuse_foreign(self, case: Case) -> None:
        """Never write to (or under) an entity this run saw in a response but did not create."""
        if case.method.upper() == "GET":
            return
        values = list((case.path_parameters or {}).values())
        if isinstance(case.body, dict):
            values += [case.body.get(key) for key in ("id", "app_id", "fn_id")]
        foreign = [v for v in values if isinstance(v, str) and v in self._seen - self._created]
        if foreign:
            raise ConformanceError(
                f"refusing {case.method.upper()} {case.formatted_path}: it names {foreign}, "
                "which this run did not create (a generator reused ids from a response)"
            )

    def _on_response(self, response: requests.Response, *_: Any, **__: Any) -> None:
        """requests hook: evidence, budget-free bookkeeping, ledger, ids seen and created."""
        exchange = Exchange.from_response(response, self._secrets)
        self.fn.recorder.add(exchange)
        self.last_exchange = exchange
        method = response.request.method or ""
        path = urlsplit(response.request.url or "").path.removeprefix(self._base_path)
        self.ledger.after_answer(method, path, response)
        ctype = response.headers.get("content-type", "")
        if not 200 <= response.status_code < 300 or "json" not in ctype:
            return
        try:
            body = response.json()
        except ValueError:
            return
        if method == "POST" and isinstance(body, dict) and isinstance(body.get("id"), str):
            self._created.add(body["id"])
        self._seen.update(_ids_in(body))

    # -- checking --------------------------------------------------------------------------

    def verify(self, case: Case, response: Response, *, recorder: Any = None) -> None:
        """Our generic checks, then schemathesis' checks: every finding is recorded and the
        test goes on, so one finding never hides another; a negative case judges the
        requirement of what it made invalid."""
        headers = {name: ", ".join(values) for name, values in response.headers.items()}
        observed = Observed(case.method.upper(), case.formatted_path, response.status_code,
                            headers, response.content, self.last_exchange)  # fmt: skip
        for finding in run_checks(observed):
            self.fn.recorder.note(finding)
        if mutations(case) and not tolerated_acceptance(case):
            self.fn.recorder.judge(refusal_requirement(self.operation_id(case), case))
        checks = (*BUILTIN_CHECKS, *(STATEFUL_CHECKS if recorder else ()))
        for check in checks:
            if check is builtin.negative_data_rejection and tolerated_acceptance(case):
                continue
            if check is builtin.response_schema_conformance and not _one_document(response):
                continue  # not one JSON document: FN-ERR-003's finding, not a schema mismatch
            try:
                case.validate_response(response, checks=[check], recorder=recorder)
            except FailureGroup as group:
                finding = self._finding(case, response, check.__name__, group.exceptions[0])
                self.fn.recorder.note(finding)

    def _finding(
        self, case: Case, response: Response, name: str, failure: Any
    ) -> ConformanceFailure:
        req = self._requirement(name, case, response)
        title = f"{failure.title} (schemathesis {name})"
        ctype = ", ".join(response.headers.get("content-type", [])) or "no content-type"
        body = response.content.decode("utf-8", "replace")[:500]
        detail = (
            f"{failure.message.strip()}\nReceived: {response.status_code} ({ctype}) {body}\n"
            f"Expected: {CHECK_INFO[name][1]}"
        )
        message = f"{detail}\nOperation: {case.operation.label}\nCase: {case.as_curl_command()}"
        return ConformanceFailure(title, message, requirement_id=req, exchange=self.last_exchange)

    @staticmethod
    def operation_id(case: Case) -> str:
        return str(SCHEMA.get_operation_id(case.operation) or "")

    def _requirement(self, name: str, case: Case, response: Response) -> str:
        operation_id = self.operation_id(case)
        if name == "fn_field_rules_before_existence" and operation_id in FIELDS_FIRST_REQS:
            return FIELDS_FIRST_REQS[operation_id]
        if name in ("negative_data_rejection", "fn_field_rules_before_existence"):
            return refusal_requirement(operation_id, case)
        if name == "content_type_conformance" and response.status_code >= 400:
            return "FN-ERR-004"
        return CHECK_INFO[name][0]

    # -- stateful --------------------------------------------------------------------------

    def state_machine(self) -> type:
        """The contract's linked workflow, sending and checking through this runner."""
        base: Any = SCHEMA.as_state_machine()
        runner = self
        rules = [name for name in vars(base) if "___" in name]
        if not rules or any(not name.startswith("POST_") for name in rules):
            raise ConformanceError(f"unexpected links (only creates may lead on): {rules}")

        class LinkedWorkflow(base):  # type: ignore[misc]
            def call(self, case: Case, **kwargs: Any) -> Response:
                return runner.send(case, repair=True)

            def validate_response(self, response: Response, case: Case, *_: Any, **__: Any) -> None:
                runner.verify(case, response, recorder=self.recorder)

        return LinkedWorkflow


def _ids_in(value: object) -> Iterator[str]:
    """Every id-like string in a JSON document (id, app_id, fn_id at any depth)."""
    if isinstance(value, list):
        value = dict(enumerate(value))
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("id", "app_id", "fn_id") and isinstance(item, str):
                yield item
            else:
                yield from _ids_in(item)


__all__ = ["BUILTIN_CHECKS", "Runner"]
