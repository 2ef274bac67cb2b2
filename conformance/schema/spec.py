"""The contract as schemathesis sees it: the operations the schema-driven area generates for.

``/invoke``, ``/t/...`` and ``/metrics`` stay in the contract but are not generated: they answer
whatever media type a function chose (or Prometheus text) and need an agent.
"""

from __future__ import annotations

import functools
from typing import Any

import jsonschema
import schemathesis
import yaml
from schemathesis import APIOperation
from schemathesis.core.result import Ok

from ..contract import spec_path
from ..errors import ConformanceError

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


def has_path_parameters(operation_id: str) -> bool:
    return any(p.location.value == "path" for p in OPERATIONS[operation_id].iter_parameters())


def _resolved(schema: Any, definitions: dict[str, Any]) -> Any:
    """``schema`` with ``#/definitions/`` references inlined and Swagger 2.0's ``x-nullable``
    turned into JSON Schema's null type."""
    if isinstance(schema, list):
        return [_resolved(item, definitions) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        return _resolved(definitions[ref.removeprefix("#/definitions/")], definitions)
    out = {k: _resolved(v, definitions) for k, v in schema.items() if not k.startswith("x-")}
    if schema.get("x-nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


@functools.cache
def _body_validators() -> dict[str, Any]:
    """Per operation: a validator of its body that lets unknown top-level fields through."""
    spec = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    definitions = spec.get("definitions", {})
    out = {}
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "body" and parameter.get("schema"):
                    schema = _resolved(parameter["schema"], definitions)
                    schema.pop("additionalProperties", None)
                    out[operation["operationId"]] = jsonschema.Draft4Validator(schema)
    return out


def body_acceptable(operation_id: str, body: Any) -> bool:
    """Is ``body`` valid for the contract's schema, unknown top-level fields aside?

    Unknown fields may be ignored by a server (FN-SEC-004), so a negative case whose only
    fault is one does not have to be refused. This looks at the body actually sent, not at
    the generator's account of what it changed.
    """
    validator = _body_validators().get(operation_id)
    return validator is not None and validator.is_valid(body)


__all__ = ["NEGATABLE", "OPERATIONS", "SCHEMA", "body_acceptable", "has_path_parameters"]
