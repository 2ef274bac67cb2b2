"""The published results format: the schema is valid JSON Schema, describes what the writer
writes (every outcome, findings with evidence, crashes, leaks, measurements), refuses what the
writer never writes, and :func:`read_results` says in one line why a file cannot be read."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conformance.config import FIELDS, ConformanceConfig
from conformance.failures import Outcome
from conformance.ledger import Entry
from conformance.recorder import Exchange
from conformance.report import json_report
from conformance.report.schema import (
    SCHEMA_PATH,
    SCHEMA_VERSION,
    ResultsError,
    load_schema,
    read_results,
    validate,
)
from conformance.requirements import load
from conformance.results import (
    STATUSES,
    Cleanup,
    Collected,
    Crash,
    Finding,
    RunCollector,
    RunResult,
    TargetInfo,
    TestResult,
    decide,
)


def exchange(url: str, *, status: int | None = 200, body: str = '{"id": "x"}') -> dict[str, Any]:
    """An exchange as the recorder keeps it: answered (``status``) or not (``None``)."""
    sent = Exchange.from_request("POST", url, {"Authorization": "Bearer s", "A": "b"}, b'{"n": 1}')
    if status is None:
        sent.error = "ConnectionError: refused"
    else:
        sent.status, sent.response_body = status, body
        sent.response_headers, sent.elapsed_ms = {"content-type": "application/json"}, 1.5
    return sent.to_dict()


def judged(
    nodeid: str, req: str, outcome: Outcome, findings: tuple[Finding, ...] = (), **kw: Any
) -> TestResult:
    """One test that judged ``req`` and ended with ``outcome``."""
    return TestResult(nodeid, "call", outcome, (req,), {req: outcome}, findings, "msg", **kw)


def build_run(
    results: Sequence[TestResult],
    *,
    run_id: str = "unit0001",
    api_url: str = "http://127.0.0.1:8080",
    profile: str = "api",
    baseline: Mapping[str, str] | None = None,
    cleanup: Cleanup | None = None,
    crashes: tuple[Crash, ...] = (),
    image: str = "",
    **kw: Any,
) -> RunResult:
    """A finished run of ``results`` (each test collected and selected), as the plugin makes it."""
    collector = RunCollector(load(), profile)
    for result in results:
        collector.add(result)
    collected = [Collected(r.nodeid, r.requirements, True) for r in results]
    rows = collector.requirement_results(collected, dict(baseline or {}))
    cleanup = cleanup or Cleanup(created=3, deleted=3, gone=3)
    verdict = decide(rows, results, cleanup=cleanup, narrowed_by=kw.get("narrowed_by", ()),
                     crashes=crashes, interrupted=False)  # fmt: skip
    config = ConformanceConfig(api_url=api_url, run_id=run_id, token="t", seed=7).redacted()
    return RunResult(
        run_id=run_id, suite_version="0.1.0", started_at="2026-01-02T03:04:05+00:00",
        finished_at="2026-01-02T03:04:09+00:00", duration_s=4.2,
        target=TargetInfo(api_url, api_url, embedded=False, version="1.2.3", image=image),
        profile=profile,
        effort="dev", seed=7, config=config, requests_sent=12, verdict=verdict,
        requirements=tuple(rows), tests=tuple(results), cleanup=cleanup, crashes=crashes, **kw,
    )  # fmt: skip


def full_run() -> RunResult:
    """Every outcome, findings with evidence, a known deviation, crashes, a leak, measurements,
    a target image and log."""
    url = "http://127.0.0.1:8080"
    evidence = (exchange(f"{url}/v2/apps"), exchange(f"{url}/v2/fns", status=None))
    finding = Finding("FN-APP-007", "Long name accepted", "Received: 200\nExpected: 400", evidence)
    generic = Finding(None, "Server error", "Received: 500", (exchange(url, status=500),))
    known = Finding("FN-APP-009", "Renamed", "Received: 200", evidence[:1])
    outcomes = [o for o in Outcome if o != Outcome.FAILED]
    results = [
        judged(f"t::{o.value}", f"FN-APP-00{i + 1}", o) for i, o in enumerate(outcomes)
    ] + [
        judged("t::failed", "FN-APP-007", Outcome.FAILED, (finding,), evidence=evidence),
        judged("t::generic", "FN-APP-008", Outcome.FAILED, (generic,)),
        judged("t::known", "FN-APP-009", Outcome.FAILED, (known,)),
        judged("t::timed", "FN-APP-010", Outcome.PASSED,
               measurements=({"name": "cold_start", "value": 1.25, "unit": "s", "samples": 3},)),
    ]  # fmt: skip
    leak = Entry("app", "fncunit0001-3", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    return build_run(
        results,
        baseline={"FN-APP-009": "known to fail", "FN-APP-011": "fixed since"},
        cleanup=Cleanup(created=3, deleted=2, gone=2, leaked=(asdict(leak),), errors=("boom",)),
        crashes=(
            Crash(
                "t::failed",
                "no answer to GET /",
                restarted=True,
                last_answered=evidence[0],
                unanswered=evidence[1],
            ),
            Crash("t::other", "no answer to GET /", restarted=True),
        ),
        narrowed_by=("-k apps",),
        left_out=("-k apps",),
        baseline_unused=("FN-APP-011",),
        api_url=url,
        image="fnproject/fnserver",
        target_log="target.log",
    )


def full_document() -> dict[str, Any]:
    return json.loads(json.dumps(json_report.document(full_run())))


def test_schema_is_valid_draft_2020_12_with_the_version_as_id() -> None:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"urn:fn-conformance:results:{SCHEMA_VERSION}"
    assert schema["properties"]["schema_version"] == {
        "description": schema["properties"]["schema_version"]["description"],
        "const": SCHEMA_VERSION,
    }
    assert SCHEMA_PATH.name == "results.schema.json"


def test_schema_enums_are_the_codes_statuses_and_outcomes() -> None:
    defs = load_schema()["$defs"]
    assert defs["verdict"]["properties"]["status"]["enum"] == list(STATUSES)
    assert set(defs["verdict"]["properties"]["exit_code"]["enum"]) == {
        code for code, _ in STATUSES.values()
    }
    assert defs["outcome"]["enum"] == [o.value for o in Outcome]
    assert defs["outcome_counts"]["required"] == [o.value for o in Outcome]


def test_schema_types_every_setting_of_the_config() -> None:
    typed = set(load_schema()["$defs"]["config"]["properties"])
    missing = sorted(set(FIELDS) - typed)
    assert not missing, f"add these settings to $defs.config in {SCHEMA_PATH.name}: {missing}"
    assert not typed - set(FIELDS), "the schema types settings the config no longer has"


def test_a_document_with_every_kind_of_content_is_valid() -> None:
    document = full_document()
    validate(document)
    outcomes = {r["outcome"] for r in document["requirements"]}
    assert outcomes == {o.value for o in Outcome}
    assert document["verdict"]["status"] == "not-conformant"
    assert document["target"]["image"] and document["target_log"] == "target.log"
    assert document["measurements"][0]["samples"] == 3
    assert any(r["known_deviation"] for r in document["requirements"])
    assert document["cleanup"]["leaked"] and document["crashes"]


@pytest.mark.parametrize("status", list(STATUSES))
def test_every_verdict_status_is_valid_with_its_own_exit_code(status: str) -> None:
    document = full_document()
    code, meaning = STATUSES[status]
    document["verdict"].update(
        status=status, exit_code=code, meaning=meaning, conformant=status == "conformant"
    )
    validate(document)
    document["verdict"]["exit_code"] = 3 if code != 3 else 0
    with pytest.raises(ResultsError, match=r"at \$\.verdict"):
        validate(document)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return change


MUTATIONS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "extra top-level key": (_set("extra", 1), r"at \$: .*'extra' was unexpected"),
    "wrong verdict status": (_set("verdict.status", "fine"), r"at \$\.verdict\.status: 'fine'"),
    "missing requirement field": (
        _drop("requirements.0.title"),
        r"at \$\.requirements\[0\]: 'title' is a required property",
    ),
    "schema_version 3": (_set("schema_version", 3), r"at \$\.schema_version: 2 was expected"),
    "unknown outcome": (_set("requirements.3.outcome", "ok"), r"requirements\[3\]\.outcome"),
    "extra exchange key": (
        _set("requirements.13.findings.0.evidence.1.extra", 1),
        r"requirements\[13\]\.findings\[0\]\.evidence\[1\]: .*'extra' was unexpected",
    ),
    "extra target key": (_set("target.port", 1), r"at \$\.target"),
    "count not an integer": (_set("summary.passed", "3"), r"at \$\.summary\.passed"),
    "config key of the wrong type": (_set("config.seed", "7"), r"at \$\.config\.seed"),
    "leak without a kind": (_drop("cleanup.leaked.0.kind"), r"at \$\.cleanup\.leaked\[0\]"),
    "measurement without a unit": (_drop("measurements.0.unit"), r"at \$\.measurements\[0\]"),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_a_mutated_document_is_refused_naming_the_json_path(name: str) -> None:
    document = full_document()
    change, expected = MUTATIONS[name]
    change(document)
    with pytest.raises(ResultsError, match=expected) as caught:
        validate(document)
    assert "\n" not in str(caught.value)


def test_open_parts_accept_keys_a_later_suite_adds() -> None:
    document = full_document()
    document["config"]["new_setting"] = "x"
    document["measurements"][0]["node"] = "n1"
    validate(document)


def _write(tmp_path: Path, content: str | bytes | Callable[[], str]) -> Path:
    path = tmp_path / "run" / "results.json"
    path.parent.mkdir(exist_ok=True)
    if callable(content):
        content = content()
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_read_results_reads_a_run_folder_and_a_file(tmp_path: Path) -> None:
    path = _write(tmp_path, json.dumps(full_document()))
    assert read_results(path.parent)["run_id"] == "unit0001"
    assert read_results(path)["run_id"] == "unit0001"


def _other_version(version: int) -> Callable[[], str]:
    return lambda: json.dumps({**full_document(), "schema_version": version})


BAD_FILES: dict[str, tuple[str | bytes | Callable[[], str] | None, str]] = {
    "missing file": (None, r"results\.json: no such file"),
    "not JSON": ('{"schema_version": 2,', r"is not valid JSON \(line 1, column \d+"),
    "not UTF-8": (b"\xff\xfe{", r"is not UTF-8 text"),
    "not an object": ("[1, 2]", r"a JSON object expected, not list"),
    "no schema_version": ('{"run_id": "x"}', r"has no schema_version"),
    "a newer version": (
        _other_version(3),
        r"results\.json has schema_version 3; this fn-conformance \S+ reads version 2 only "
        r"\(use the fn-conformance that wrote it, or a newer one\)$",
    ),
    "an older version": (
        _other_version(1),
        r"has schema_version 1; .* reads version 2 only \(use the fn-conformance that wrote it\)$",
    ),
    "a version that is not a number": ('{"schema_version": "2"}', r"has schema_version '2'"),
    "invalid against the schema": (
        lambda: json.dumps({**full_document(), "tests": []}),
        r"results\.json is not a valid results document \(schema_version 2\) at \$\.tests: ",
    ),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_read_results_refuses_a_bad_file_in_one_line_naming_the_problem(
    name: str, tmp_path: Path
) -> None:
    content, expected = BAD_FILES[name]
    path = _write(tmp_path, content) if content is not None else tmp_path / "results.json"
    with pytest.raises(ResultsError, match=expected) as caught:
        read_results(path)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_read_results_of_a_folder_without_results_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match=r"holds no results\.json \(give a run folder"):
        read_results(tmp_path)


def test_the_writer_output_round_trips_through_read_results(tmp_path: Path) -> None:
    written = json_report.write(full_run(), tmp_path)
    assert read_results(written) == copy.deepcopy(full_document())
