"""The contract file swaggerv2.yml: valid Swagger 2.0, in step with the reference's route table,
and usable by schemathesis for stateful (linked) testing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV2SpecValidator
from schemathesis.core.result import Ok

from reference_impl.api import OPERATIONS

SPEC_PATH = Path(__file__).resolve().parent.parent / "swaggerv2.yml"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")

Operation = tuple[str, str, dict[str, Any]]  # (METHOD, path, operation object)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def operations(spec: dict[str, Any]) -> Iterator[Operation]:
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow local ``#/...`` references until a concrete object is reached."""
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def normalise(path: str) -> str:
    """``/v2/apps/{app_id}`` and ``/v2/apps/{appID}`` both become ``/v2/apps/{}``."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def served() -> Iterator[tuple[str, str, str]]:
    """(METHOD, normalised path, operationId) for every operation the reference serves.

    Starlette also answers HEAD on GET routes; that HEAD is not part of the contract, so only
    the operations in the route table count.
    """
    for op in OPERATIONS:
        yield op.method, normalise(op.path), op.operation_id


def test_spec_is_valid_swagger_2(spec: dict[str, Any]) -> None:
    assert spec["swagger"] == "2.0"
    validate(spec, cls=OpenAPIV2SpecValidator)


def test_every_route_the_reference_serves_is_documented(spec: dict[str, Any]) -> None:
    documented = {(method, normalise(path)) for method, path, _ in operations(spec)}
    missing = {(method, path) for method, path, _ in served()} - documented
    assert not missing, f"served but not in swaggerv2.yml: {sorted(missing)}"


def test_every_documented_operation_is_served_by_the_reference(spec: dict[str, Any]) -> None:
    served_pairs = {(method, path) for method, path, _ in served()}
    extra = {(method, normalise(path)) for method, path, _ in operations(spec)} - served_pairs
    assert not extra, f"in swaggerv2.yml but not served: {sorted(extra)}"


def test_route_table_names_every_operation_by_its_operation_id(spec: dict[str, Any]) -> None:
    by_key = {(method, normalise(path)): op["operationId"] for method, path, op in operations(spec)}
    for method, path, operation_id in served():
        assert by_key[(method, path)] == operation_id, (method, path)


def test_operation_ids_are_unique(spec: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(spec)]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates


def test_every_operation_documents_a_success_status(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        codes = [str(code) for code in op["responses"]]
        assert any(code.startswith("2") for code in codes), (method, path)


def test_error_statuses_have_an_error_body(spec: dict[str, Any]) -> None:
    error = spec["definitions"]["Error"]
    assert error["required"] == ["message"]
    for method, path, op in operations(spec):
        for code, response in op["responses"].items():
            if str(code)[0] in "45":
                schema = resolve(spec, response).get("schema")
                assert schema == {"$ref": "#/definitions/Error"}, (method, path, code)


def test_deletes_answer_204_with_no_body(spec: dict[str, Any]) -> None:
    deletes = [op for _, _, op in operations(spec) if op["operationId"].startswith("delete")]
    assert len(deletes) == 3
    for op in deletes:
        assert "schema" not in resolve(spec, op["responses"]["204"]), op["operationId"]
        assert "200" not in op["responses"]


def test_creates_answer_200_not_201(spec: dict[str, Any]) -> None:
    creates = [op for _, _, op in operations(spec) if op["operationId"].startswith("create")]
    assert len(creates) == 3
    for op in creates:
        assert "200" in op["responses"] and "201" not in op["responses"], op["operationId"]
        assert "$ref" in resolve(spec, op["responses"]["200"])["schema"]


def test_list_operations_take_paging_parameters(spec: dict[str, Any]) -> None:
    for _, _, op in operations(spec):
        if op["operationId"].startswith("list"):
            names = {resolve(spec, p)["name"] for p in op.get("parameters", [])}
            assert {"cursor", "per_page", "name"} <= names, op["operationId"]
            assert "400" in op["responses"]


def _links(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for _, _, op in operations(spec):
        for response in op["responses"].values():
            for name, link in resolve(spec, response).get("x-links", {}).items():
                yield op["operationId"], name, link


def test_links_chain_apps_to_fns_to_triggers(spec: dict[str, Any]) -> None:
    targets = {(source, link["operationId"]) for source, _, link in _links(spec)}
    assert ("createApp", "createFn") in targets
    assert ("createFn", "createTrigger") in targets
    assert ("createTrigger", "getTriggerBySource") in targets


def test_links_name_existing_operations_and_parameters(spec: dict[str, Any]) -> None:
    by_id = {op["operationId"]: op for _, _, op in operations(spec)}
    params_of: dict[str, set[tuple[str, str]]] = {}
    for _, path, op in operations(spec):
        declared = spec["paths"][path].get("parameters", []) + op.get("parameters", [])
        params_of[op["operationId"]] = {
            (resolve(spec, p)["in"], resolve(spec, p)["name"]) for p in declared
        }
    for source, name, link in _links(spec):
        target = link["operationId"]
        assert target in by_id, f"{source} link {name}: no operation {target}"
        for key in link.get("parameters", {}):
            location, _, param = key.partition(".")
            assert (location, param) in params_of[target], f"{source} link {name}: {key}"
        body = next((resolve(spec, p) for p in by_id[target].get("parameters", [])
                     if resolve(spec, p)["in"] == "body"), None)  # fmt: skip
        for field in link.get("requestBody", {}):
            assert body is not None, f"{source} link {name}: {target} takes no body"
            assert field in resolve(spec, body["schema"])["properties"], (source, name, field)


def test_schemathesis_loads_every_operation_and_builds_the_state_machine(
    spec: dict[str, Any],
) -> None:
    schema = schemathesis.openapi.from_path(str(SPEC_PATH))
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results)
    assert len(results) == len(list(operations(spec)))
    machine = schema.as_state_machine()  # raises when an x-link cannot be resolved
    # Each followed link becomes a rule named "<source>___<status>_<link name>__<target>".
    rules = [name for name in vars(machine) if "___200_" in name]
    for link in ("CreateFn", "CreateTrigger", "GetTriggerBySource"):
        assert any(f"_200_{link}__" in rule for rule in rules), link
