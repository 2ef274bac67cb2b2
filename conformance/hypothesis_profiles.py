"""Hypothesis effort profiles for the suite: dev (quick), ci (default), thorough."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, settings

_COMMON: dict[str, Any] = {
    "deadline": None,  # the target's latency is not the code under test
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
    "database": None,  # replaying examples from an earlier target would mislead
    "derandomize": False,
    # One finding per test, so the failure names one requirement (not an ExceptionGroup).
    "report_multiple_bugs": False,
}
#: Shrinking against a live server can take minutes; dev and ci report the first failing
#: example as found (with its evidence), thorough shrinks it to a minimal one.
_NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]

settings.register_profile(
    "fn-conformance-dev", max_examples=5, stateful_step_count=10, phases=_NO_SHRINK, **_COMMON
)
settings.register_profile(
    "fn-conformance-ci", max_examples=20, stateful_step_count=25, phases=_NO_SHRINK, **_COMMON
)
settings.register_profile(
    "fn-conformance-thorough",
    max_examples=200,
    stateful_step_count=60,
    phases=list(Phase),
    **_COMMON,
)


def load_profile(effort: str) -> None:
    settings.load_profile(f"fn-conformance-{effort}")
