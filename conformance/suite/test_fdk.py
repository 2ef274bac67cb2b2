"""The agent and the function: the FDK http-stream contract, failures and timeouts (FN-FDK-*)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from conformance import expect
from conformance.invoking import Probe, expect_new_container, instance, report

CONTRACT = ("FN_APP_ID", "FN_FN_ID", "FN_MEMORY", "FN_TYPE", "FN_FORMAT", "FN_LISTENER")
#: Variables an FDK or a language runtime may set for itself inside the container.
RUNTIME_OWN = ("FN_SPAWN_CALL_ID",)


@pytest.mark.requirement("FN-FDK-001")
def test_environment_has_the_contract_variables(probe: Probe) -> None:
    app, func = probe.fn(memory=160)
    response = probe.call(func, report=1)
    env = report(response, req="FN-FDK-001")["env"]
    shown = {k: env.get(k) for k in ("FN_APP_ID", "FN_FN_ID", "FN_MEMORY", "FN_TYPE", "FN_FORMAT")}
    wanted = {"FN_APP_ID": app["id"], "FN_FN_ID": func["id"], "FN_MEMORY": "160",
              "FN_TYPE": "sync", "FN_FORMAT": "http-stream"}  # fmt: skip
    expect.equal(shown, wanted, "the contract's variables", response=response, req="FN-FDK-001")
    listener = env.get("FN_LISTENER", "")
    expect.true(
        re.fullmatch(r"unix:/.+/lsnr\.sock", listener) is not None,
        "FN_LISTENER is not unix:<dir>/lsnr.sock",
        f"Received: {listener!r}\nExpected: unix:<absolute dir>/lsnr.sock",
        response=response,
        req="FN-FDK-001",
    )


@pytest.mark.requirement("FN-FDK-002")
def test_fn_config_overlays_app_config(probe: Probe) -> None:
    app = probe.make.app(config={"SHARED": "from-app", "APP_ONLY": "a", "FN_MEMORY": "1"})
    _, func = probe.fn(app, config={"SHARED": "from-fn", "FN_ONLY": "f", "FN_FORMAT": "json"})
    response = probe.call(func, report=1)
    env = report(response, req="FN-FDK-002")["env"]
    keys = ("SHARED", "APP_ONLY", "FN_ONLY", "FN_MEMORY", "FN_FORMAT")
    expect.equal(
        {k: env.get(k) for k in keys},
        {"SHARED": "from-fn", "APP_ONLY": "a", "FN_ONLY": "f", "FN_MEMORY": "128",
         "FN_FORMAT": "http-stream"},
        "config as the function saw it", response=response, req="FN-FDK-002",
    )  # fmt: skip


@pytest.mark.requirement("FN-FDK-003")
def test_function_sees_no_server_settings(probe: Probe) -> None:
    app = probe.make.app(config={"FN_APP_SETTING": "ok"})
    _, func = probe.fn(app, config={"PLAIN": "1"})
    env = report(probe.call(func, report=1), req="FN-FDK-003")["env"]
    allowed = {*CONTRACT, *RUNTIME_OWN, "FN_APP_SETTING"}
    extra = sorted(k for k in env if k.startswith("FN_") and k not in allowed)
    expect.true(
        not extra,
        "The function sees FN_ variables that are neither the contract's nor its config",
        f"Received: {', '.join(extra)}\nExpected: only {', '.join(sorted(allowed))}",
        req="FN-FDK-003",
    )


@pytest.mark.requirement("FN-FDK-004")
def test_each_call_has_a_call_id_and_deadline(probe: Probe) -> None:
    _, func = probe.fn(timeout=20)
    before = dt.datetime.now(dt.UTC)
    response = probe.call(func, report=1)
    seen = report(response, req="FN-FDK-004")
    expect.true(
        bool(seen["call_id"]) and seen["call_id"] == response.headers.get("Fn-Call-Id"),
        "The function did not get the call's Fn-Call-Id",
        f"Received: {seen['call_id']!r} (answer: {response.headers.get('Fn-Call-Id')!r})",
        response=response,
        req="FN-FDK-004",
    )
    text = str(seen["deadline"])
    try:
        deadline = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        deadline = None
    ahead = (deadline - before).total_seconds() if deadline and deadline.tzinfo else None
    expect.true(
        ahead is not None and 10 <= ahead <= 25 * probe.cfg.timeout_multiplier,
        "Fn-Deadline is not an RFC 3339 time about the fn's timeout (20 s) ahead",
        f"Received: {text!r} ({ahead} s ahead)\nExpected: about 20 s after the request",
        response=response,
        req="FN-FDK-004",
    )


@pytest.mark.requirement("FN-FDK-005")
def test_failing_function_answers_502(probe: Probe) -> None:
    _, func = probe.fn()
    failed = probe.call(func, fdk_status=502)
    expect.status(failed, 502, req="FN-FDK-005")
    expect.json_body(failed, req="FN-FDK-005")


@pytest.mark.requirement("FN-FDK-005")
def test_crash_mid_call_answers_502_and_replaces_the_container(probe: Probe) -> None:
    _, func = probe.fn()
    first = instance(probe.call(func, b"warm"), req="FN-FDK-005")
    crashed = probe.call(func, crash=1)
    expect.status(crashed, 502, req="FN-FDK-005", why="a crash mid-call")
    after = probe.call(func, b"again")
    expect.status(after, 200, req="FN-FDK-005", why="the call after a crash")
    expect_new_container(
        after, first, "The call after a crash ran in the crashed container",
        after="after the crash", req="FN-FDK-005",
    )  # fmt: skip


@pytest.mark.requirement("FN-FDK-006")
@pytest.mark.parametrize(("start", "code"), [("exit", 502), ("hang", 504)])
def test_function_that_never_listens(probe: Probe, start: str, code: int) -> None:
    _, func = probe.fn(config={"PROBE_START": start})
    response = probe.call(func, b"x")
    expect.status(
        response, code, req="FN-FDK-006", why=f"a function that does not listen ({start})"
    )
    expect.json_body(response, req="FN-FDK-006")


@pytest.mark.requirement("FN-FDK-007")
def test_call_past_the_timeout_answers_504_and_replaces_the_container(probe: Probe) -> None:
    _, func = probe.fn(timeout=1)
    first = instance(probe.call(func, b"warm"), req="FN-FDK-007")
    slow = probe.call(func, sleep_ms=3000)
    expect.status(slow, 504, req="FN-FDK-007", why="a call running past the fn's timeout (1 s)")
    after = probe.call(func, b"again")
    expect.status(after, 200, req="FN-FDK-007", why="the call after a timeout")
    expect_new_container(
        after, first, "The call after a timeout ran in the container that timed out",
        after="after the timeout", req="FN-FDK-007",
    )  # fmt: skip
    expect.status(probe.call(func, fdk_status=504), 504, req="FN-FDK-007", why="an FDK 504")


@pytest.mark.requirement("FN-FDK-008")
def test_timeout_counts_from_when_the_call_has_a_container(probe: Probe) -> None:
    # The container takes 1.5 s to listen, the call itself 0.3 s, the fn's timeout is 1 s
    # (well inside any start timeout: upstream's is 5 s).
    _, func = probe.fn(timeout=1, config={"PROBE_START": "slow:1500"})
    response = probe.call(func, sleep_ms=300)
    expect.status(
        response, 200, req="FN-FDK-008",
        why="a slow start used up the fn's timeout (it counts from when the call has a container)",
    )  # fmt: skip
