"""Schema-driven area: schemathesis generates requests from swaggerv2.yml and checks the answers.

Covers the management operations (apps, fns, triggers, their lists, the runner's
triggerBySource, ``/`` and ``/version``): schema-valid requests get documented statuses, JSON
content types and bodies that match the response schemas; schema-invalid requests are refused
with a 4xx; linked sequences (app -> fn -> trigger -> read, update, delete) keep the same
promises. ``/invoke``, ``/t/...`` and ``/metrics`` stay in the contract but are not generated:
they answer whatever media type a function chose (or Prometheus text) and need an agent.

Safe on real deployments: every generated name gets the run's prefix, every create lands in the
run's ledger (cleanup deletes it), links follow only what this run created (link inference is
off), and a guard refuses any write naming an entity the run saw but did not create. Every
request counts against the run's budget and is kept as evidence.

The run's hypothesis seed applies: these are plain hypothesis tests (``@given`` and a state
machine). ``@schema.parametrize()`` is not used because it seeds every test from schemathesis's
own random seed, which overrides the seed the plugin forces.
"""

from __future__ import annotations

import json
import string
import unicodedata
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import APIOperation, CheckContext, GenerationMode, Response
from schemathesis import Case as _Case
from schemathesis import checks as builtin
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Ok
from schemathesis.errors import FailureGroup

from conformance.checks import REGISTRY, CheckFn, Observed
from conformance.client import FnClient
from conformance.config import ConformanceConfig
from conformance.contract import spec_path
from conformance.errors import ConformanceError, TargetUnavailable
from conformance.failures import ConformanceFailure
from conformance.recorder import Exchange
from conformance.resources import Ledger, Names

Case = _Case[Any]

# -- the schema under test -----------------------------------------------------------------

SCHEMA = (
    schemathesis.openapi.from_path(str(spec_path()))
    .exclude(tag="invoke")  # function-defined media types; needs an agent
    .exclude(operation_id="getMetrics")  # Prometheus text, not part of the JSON contract
)
# schemathesis infers extra links by default, e.g. from a list's items[*].id to DELETE
# /v2/apps/{appID}: on a shared deployment that deletes other people's apps. Only the
# contract's own x-links (all leaving a create) may be followed.
SCHEMA.config.phases.stateful.inference.algorithms = []


def _operations() -> dict[str, APIOperation[Any, Any, Any, Any]]:
    operations = {}
    for result in SCHEMA.get_all_operations():
        if not isinstance(result, Ok):
            raise ConformanceError(f"swaggerv2.yml cannot be used: {result.err()}")
        operations[str(SCHEMA.get_operation_id(result.ok()))] = result.ok()
    return operations


OPERATIONS = _operations()
# Operations whose inputs can be made schema-invalid in a request that can still be sent: a
# bare string path id can only be negated to "", which no URL can carry.
NEGATABLE = [
    op_id
    for op_id, op in OPERATIONS.items()
    if len(op.body)
    or any(p.location.value == "query" for p in op.iter_parameters())
    or any({"enum", "pattern"} & set(p.definition) for p in op.iter_parameters())
]

# -- requirement IDs -----------------------------------------------------------------------

RESPONSE_REQS = ("FN-ERR-003", "FN-ERR-004", "FN-ERR-005", "FN-ERR-007", "FN-ERR-009", "FN-ERR-010")
#: Check name -> (the requirement its failure breaks, what the contract expects).
CHECK_INFO = {
    "not_a_server_error": ("FN-ERR-005", "a 2xx or 4xx answer"),
    "status_code_conformance": ("FN-ERR-009", "a status swaggerv2.yml documents for it"),
    # FN-ERR-004 instead when the status is an error
    "content_type_conformance": ("FN-ERR-007", "the media type swaggerv2.yml documents"),
    "response_schema_conformance": ("FN-ERR-010", "a body matching swaggerv2.yml's schema"),
    "use_after_free": ("FN-DEL-002", "404 for an entity this sequence deleted"),
    "negative_data_rejection": ("", "a 4xx refusal of the schema-invalid request"),
    "fn_field_rules_before_existence": ("", "400 for an invalid create body"),
}
# A schema-invalid request that was accepted breaks the rule of the field the generator broke.
MISSING_FIELD_REQS = {"createApp": "FN-APP-003", "createFn": "FN-FN-003",
                      "createTrigger": "FN-TRG-003", "listFns": "FN-FN-013",
                      "listTriggers": "FN-TRG-012"}  # fmt: skip
FIELD_REQS = {
    "createApp": {"name": "FN-APP-004", "shape": "FN-APP-013"},
    "updateApp": {"shape": "FN-APP-013"},
    "createFn": {"name": "FN-FN-004", "memory": "FN-FN-005", "timeout": "FN-FN-005",
                 "idle_timeout": "FN-FN-005"},
    "updateFn": {"memory": "FN-FN-009", "timeout": "FN-FN-009", "idle_timeout": "FN-FN-009"},
    "createTrigger": {"name": "FN-TRG-004", "type": "FN-TRG-003", "source": "FN-TRG-003"},
    "updateTrigger": {"name": "FN-TRG-010", "source": "FN-TRG-010", "fn_id": "FN-TRG-010"},
}  # fmt: skip
WHOLE_OPERATION_REQS = {"getTriggerBySource": "FN-HYB-001"}
# Creates check field rules before the existence of the app (and fn) the body names; a 404 for
# an invalid fn body breaks FN-FN-006, for a trigger body the rule of the broken field.
FIELDS_FIRST, FIELDS_FIRST_REQS = ("createFn", "createTrigger"), {"createFn": "FN-FN-006"}
TYPE_REQ, SYNTAX_REQ, ANNOTATIONS_REQ = "FN-SEC-002", "FN-ERR-006", "FN-ANN-007"


def refusal_reqs(operation_id: str) -> set[str]:
    """Every requirement a negative test of this operation can name."""
    reqs = {TYPE_REQ, SYNTAX_REQ, ANNOTATIONS_REQ, *FIELD_REQS.get(operation_id, {}).values()}
    for table in (MISSING_FIELD_REQS, WHOLE_OPERATION_REQS, FIELDS_FIRST_REQS):
        reqs |= {table[operation_id]} if operation_id in table else set()
    return reqs


def _mutations(case: Case) -> tuple[Any, ...]:
    return tuple(getattr(case.meta.phase.data, "mutations", ())) if case.meta else ()


def refusal_requirement(operation_id: str, case: Case) -> str:
    """The requirement an accepted schema-invalid request breaks, from what was made invalid."""
    if operation_id in WHOLE_OPERATION_REQS:
        return WHOLE_OPERATION_REQS[operation_id]
    for mutation in _mutations(case):
        keywords, field = set(mutation.keywords), mutation.parameter
        if not keywords or (not mutation.path and "type" in keywords):
            return SYNTAX_REQ  # unparseable JSON, or a body that is not an object
        if "type" in keywords:
            return TYPE_REQ
        if field == "annotations":
            return ANNOTATIONS_REQ
        missing = "required" in keywords or (
            "minLength" in keywords and "maxLength" not in keywords
        )
        if missing and operation_id in MISSING_FIELD_REQS:
            return MISSING_FIELD_REQS[operation_id]
        if field in FIELD_REQS.get(operation_id, {}):
            return FIELD_REQS[operation_id][field]
    return TYPE_REQ


def tolerated_acceptance(case: Case) -> bool:
    """Schema-invalid input that the contract lets a server accept (negative_data_rejection off).

    * ``per_page`` outside 1..100 or not a number: the contract says it is clamped or means 30,
      so the documented range is advice, not a rule to refuse.
    * Unknown top-level body fields: a server may ignore them (FN-SEC-004, SPEC-DECISIONS).
    """
    mutations = _mutations(case)
    return bool(mutations) and all(
        m.parameter == "per_page" or (not m.path and set(m.keywords) == {"additionalProperties"})
        for m in mutations
    )


# -- checks --------------------------------------------------------------------------------


def _as_schemathesis_check(check_fn: CheckFn) -> Any:
    """One of conformance/checks.py's generic checks as a schemathesis check ``fn_<name>``."""

    def wrapper(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        headers = {name: ", ".join(values) for name, values in response.headers.items()}
        check_fn(Observed(case.method.upper(), case.formatted_path, response.status_code,
                          headers, response.content))  # fmt: skip
        return None

    wrapper.__name__ = wrapper.__qualname__ = f"fn_{check_fn.__name__}"
    return schemathesis.check(wrapper)


GENERIC_CHECKS = tuple(_as_schemathesis_check(c) for c in REGISTRY)


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

# -- names ---------------------------------------------------------------------------------

MAX_NAME_BYTES = 255
FN_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "$&+-.:=@_~")
NAMED_BODIES = {"createApp": "app", "updateApp": "app", "createFn": "fn",
                "createTrigger": "trigger", "updateTrigger": "trigger"}  # fmt: skip


def _name_char(kind: str, ch: str) -> bool:
    if kind == "fn":
        return ch in FN_NAME_CHARS
    return ch in "_-" or unicodedata.category(ch)[0] in "LN"


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def scoped_name(names: Names, kind: str, name: object, *, negative: bool) -> object:
    """The generated ``name`` carrying the run's prefix, valid or invalid as generated.

    A name the server accepts is made of the run's unique scope and the generated characters
    that the kind allows, cut to 255 bytes (positive cases thus create an entity with a
    prefixed name). In a negative case an invalid name keeps all its text behind the prefix,
    so whatever made it invalid (a character, its length) still does. Empty and non-string
    names create nothing and stay as they are.
    """
    if not isinstance(name, str) or not name:
        return name
    valid = _size(name) <= MAX_NAME_BYTES and all(_name_char(kind, ch) for ch in name)
    if negative and not valid:
        return names.scoped(name)
    kept = "".join(ch for ch in name if _name_char(kind, ch)) or "x"
    return names.scoped(kept).encode()[:MAX_NAME_BYTES].decode("utf-8", "ignore")


MAX_ANNOTATION_KEY_BYTES, MAX_ANNOTATION_VALUE_BYTES, MAX_ANNOTATIONS = 128, 512, 100
SYSLOG_SCHEMES = tuple(f"{scheme}://" for scheme in ("tcp", "udp", "unix", "unixgram", "tcp+tls"))


def repaired(body: dict[str, Any], path_parameters: dict[str, Any]) -> dict[str, Any]:
    """A schema-valid body that also keeps the rules Swagger 2.0 cannot express.

    Positive bodies are schema-valid, but most would still be refused for reasons the
    contract states in prose (annotation keys and values, syslog URL schemes, NUL-free
    strings, a body id equal to the path id), so few creates would succeed and linked
    sequences would rarely reach fns and triggers. The repair keeps the body schema-valid.
    Only linked sequences use it: the per-operation tests send bodies as generated (a null
    annotation value, say, must be refused with a 4xx, never a 5xx).
    """
    fixed: dict[str, Any] = _without_nul(body)
    updating = bool(path_parameters)  # "" deletes an annotation on update, is refused on create
    if isinstance(fixed.get("annotations"), dict):
        kept = [(k, v) for k, v in fixed["annotations"].items() if _storable(k, v, updating)]
        fixed["annotations"] = dict(kept[:MAX_ANNOTATIONS])
    syslog = fixed.get("syslog_url")
    if isinstance(syslog, str) and syslog.strip() and not syslog.strip().startswith(SYSLOG_SCHEMES):
        del fixed["syslog_url"]
    path_ids = [v for v in path_parameters.values() if isinstance(v, str)]
    if fixed.get("id") and path_ids and fixed["id"] != path_ids[0]:
        fixed["id"] = path_ids[0]
    return fixed


def _storable(key: str, value: object, updating: bool) -> bool:
    key_ok = 0 < _size(key) <= MAX_ANNOTATION_KEY_BYTES and all("!" <= ch <= "~" for ch in key)
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    value_ok = value is not None and (updating or value != "")
    return key_ok and value_ok and _size(text) <= MAX_ANNOTATION_VALUE_BYTES


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


# -- the runner ----------------------------------------------------------------------------


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
        try:
            return case.call(base_url=self.base_url, session=self.session, timeout=self.timeout,
                             allow_redirects=False)  # fmt: skip
        except requests.RequestException as exc:
            url = self.base_url + case.formatted_path
            self.fn.recorder.add(Exchange(case.method.upper(), url, {}, "", error=str(exc)))
            raise TargetUnavailable(f"{case.method.upper()} {url}: {exc}") from exc

    def _prepare(self, case: Case, *, repair: bool) -> None:
        """Prefix the generated name; with ``repair``, nudge a positive body to success."""
        operation_id = SCHEMA.get_operation_id(case.operation) or ""
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
        self.ledger.observe(method, path, response)
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
        checks = (*GENERIC_CHECKS, *BUILTIN_CHECKS, *(STATEFUL_CHECKS if recorder else ()))
        for check in checks:
            if check is builtin.negative_data_rejection and tolerated_acceptance(case):
                continue
            try:
                case.validate_response(response, checks=[check], recorder=recorder)
            except FailureGroup as group:
                raise self._finding(case, response, check.__name__, group.exceptions[0]) from None

    def _finding(
        self, case: Case, response: Response, name: str, failure: Any
    ) -> ConformanceFailure:
        inner = getattr(failure, "exception", None)
        if isinstance(inner, ConformanceFailure):  # one of our generic checks
            req, title, detail = inner.requirement_id, inner.title, inner.message
        else:
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
    def _requirement(name: str, case: Case, response: Response) -> str:
        operation_id = SCHEMA.get_operation_id(case.operation) or ""
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


@pytest.fixture(scope="module")
def schema_runner(
    fn: FnClient, names: Names, fn_ledger: Ledger, fn_config: ConformanceConfig
) -> Iterator[Runner]:
    runner = Runner(fn=fn, names=names, ledger=fn_ledger, config=fn_config)
    yield runner
    runner.session.close()


# -- tests ---------------------------------------------------------------------------------


def _params(operation_ids: list[str], extra: Any = lambda _: ()) -> list[Any]:
    return [
        pytest.param(op_id, id=op_id, marks=pytest.mark.requirement(*RESPONSE_REQS, *extra(op_id)))
        for op_id in operation_ids
    ]


@pytest.mark.parametrize("operation_id", _params(list(OPERATIONS)))
@settings(report_multiple_bugs=False)
@given(data=st.data())
def test_schema_valid_requests_get_documented_json_answers(
    schema_runner: Runner, operation_id: str, data: st.DataObject
) -> None:
    case = data.draw(schema_runner.strategy(operation_id, GenerationMode.POSITIVE), label="case")
    schema_runner.exercise(case)


@pytest.mark.parametrize("operation_id", _params(NEGATABLE, refusal_reqs))
@settings(report_multiple_bugs=False)
@given(data=st.data())
def test_schema_invalid_requests_are_refused_with_4xx(
    schema_runner: Runner, operation_id: str, data: st.DataObject
) -> None:
    case = data.draw(schema_runner.strategy(operation_id, GenerationMode.NEGATIVE), label="case")
    schema_runner.exercise(case)


@pytest.mark.requirement(*RESPONSE_REQS, "FN-DEL-002", TYPE_REQ, SYNTAX_REQ)
def test_linked_sequences_from_creates_keep_the_contract(schema_runner: Runner) -> None:
    """Scenarios start at a create and follow the contract's x-links; 1 step in 10 is negative
    (a refused-input finding there names its field's requirement, as in the test above).

    Only the generate phase runs (as schemathesis does for stateful tests): shrinking would
    replay whole sequences against a live server. Every name is unique per request, so a
    replay of a sequence meets the same answers (no 409 from its own earlier run).
    """
    run_state_machine_as_test(
        schema_runner.state_machine(),
        settings=settings(phases=[Phase.generate], report_multiple_bugs=False),
    )
