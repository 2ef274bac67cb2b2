"""Which requirement a schema-driven finding breaks, from the check that failed and the case.

A schema-invalid request that was accepted breaks the rule of the field the generator made
invalid; each negative case *judges* that requirement (and only that one), so a test that sent
no oversized annotation map never claims FN-ANN-007.
"""

from __future__ import annotations

from typing import Any

from schemathesis import Case as _Case
from schemathesis.core.parameters import ParameterLocation

from .spec import SCHEMA, body_acceptable

Case = _Case[Any]
_NOT_BODY = (ParameterLocation.QUERY, ParameterLocation.PATH, ParameterLocation.HEADER)

#: What every schema-driven test judges through schemathesis' own response checks. FN-ERR-003
#: is judged by the dedicated tests only (the generic check can fail it from here, not pass it).
RESPONSE_REQS = ("FN-ERR-004", "FN-ERR-005", "FN-ERR-007", "FN-ERR-009", "FN-ERR-010")
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


def mutations(case: Case) -> tuple[Any, ...]:
    """What the generator made invalid in a negative case (nothing for a positive one)."""
    return tuple(getattr(case.meta.phase.data, "mutations", ())) if case.meta else ()


def refusal_requirement(operation_id: str, case: Case) -> str:
    """The requirement an accepted schema-invalid request breaks, from what was made invalid."""
    if operation_id in WHOLE_OPERATION_REQS:
        return WHOLE_OPERATION_REQS[operation_id]
    for mutation in mutations(case):
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
      Decided on the body actually sent: a body that is valid but for unknown fields is
      tolerated, whatever the generator says it changed.
    """
    made = mutations(case)
    if not made:
        return False
    if all(m.parameter == "per_page" for m in made):
        return True
    only_body = case.meta is not None and not any(
        case.meta.is_negative_at(where) for where in _NOT_BODY
    )
    operation_id = str(SCHEMA.get_operation_id(case.operation) or "")
    return only_body and body_acceptable(operation_id, case.body)


__all__ = [
    "CHECK_INFO",
    "FIELDS_FIRST",
    "FIELDS_FIRST_REQS",
    "RESPONSE_REQS",
    "mutations",
    "refusal_requirement",
    "tolerated_acceptance",
]
