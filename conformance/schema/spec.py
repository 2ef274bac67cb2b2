"""The contract as schemathesis sees it: the operations the schema-driven area generates for.

``/invoke``, ``/t/...`` and ``/metrics`` stay in the contract but are not generated: they answer
whatever media type a function chose (or Prometheus text) and need an agent.
"""

from __future__ import annotations

from typing import Any

import schemathesis
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


__all__ = ["NEGATABLE", "OPERATIONS", "SCHEMA", "has_path_parameters"]
