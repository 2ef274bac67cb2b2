"""Schema-driven area: schemathesis generates requests from swaggerv2.yml and checks the answers.

Covers the management operations (apps, fns, triggers, their lists, the runner's
triggerBySource, ``/`` and ``/version``): schema-valid requests get documented statuses, JSON
content types and bodies that match the response schemas; schema-invalid requests are refused
with a 4xx; linked sequences (app -> fn -> trigger -> read, update, delete) keep the same
promises. The machinery (safety on shared targets, which requirement a finding breaks) is in
``conformance.schema``.

Negative cases, generated path ids (any Unicode) and linked sequences are *disruptive*: they
send what fragile servers are known to break on, so they run last and ``--no-disruptive``
leaves them out. A negative case judges only the requirement of what it made invalid.

The run's hypothesis seed applies: these are plain hypothesis tests (``@given`` and a state
machine). ``@schema.parametrize()`` is not used because it seeds every test from schemathesis's
own random seed, which overrides the seed the plugin forces.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import GenerationMode

from conformance.client import FnClient
from conformance.config import ConformanceConfig
from conformance.ledger import Ledger
from conformance.resources import Names
from conformance.schema import NEGATABLE, OPERATIONS, RESPONSE_REQS, Runner, has_path_parameters


@pytest.fixture(scope="module")
def schema_runner(
    fn: FnClient, names: Names, fn_ledger: Ledger, fn_config: ConformanceConfig
) -> Iterator[Runner]:
    runner = Runner(fn=fn, names=names, ledger=fn_ledger, config=fn_config)
    yield runner
    runner.session.close()


def _params(operation_ids: list[str], *, disruptive: Any = has_path_parameters) -> list[Any]:
    return [
        pytest.param(
            op_id,
            id=op_id,
            marks=[
                pytest.mark.requirement(*RESPONSE_REQS),
                *([pytest.mark.disruptive] if disruptive(op_id) else []),
            ],
        )
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


@pytest.mark.parametrize("operation_id", _params(NEGATABLE, disruptive=lambda _: True))
@settings(report_multiple_bugs=False)
@given(data=st.data())
def test_schema_invalid_requests_are_refused_with_4xx(
    schema_runner: Runner, operation_id: str, data: st.DataObject
) -> None:
    case = data.draw(schema_runner.strategy(operation_id, GenerationMode.NEGATIVE), label="case")
    schema_runner.exercise(case)


@pytest.mark.requirement(*RESPONSE_REQS, "FN-DEL-002")
@pytest.mark.disruptive
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
