"""The plugin's command-line options, and the configuration built and checked from them.

Every setting of :class:`~conformance.config.ConformanceConfig` that the command line takes is
a ``--fn-<flag>`` option here and a ``--<flag>`` option of ``fn-conformance run``. The same
:func:`check` runs in both before any test: a bad setting is one line and exit 2 from the CLI,
a pytest usage error under plain pytest.
"""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest

from .. import config as confmod
from ..baseline import load_baseline
from ..errors import CatalogueError, InvalidConfig
from ..requirements import Catalogue, load

#: (config key, help) for the plain ``--fn-<flag> VALUE`` options.
VALUE_OPTIONS = (
    ("api_url", "base URL of the Fn API (default: FN_API_URL, else the embedded reference server)"),
    ("invoke_url", "base URL for /invoke and /t (default: the target URL)"),
    ("token", "bearer token sent with every request (redacted in reports)"),
    ("profile", "requirement profile: api, full (default) or cluster"),
    ("effort", "hypothesis effort: dev, ci (default) or thorough"),
    ("timeout_multiplier", "multiply every timeout and wait"),
    ("run_id", "run id used in resource names and the report folder"),
    ("request_budget", "stop with an error after this many requests"),
    ("report_dir", "folder for reports/<run-id>/ (default: reports)"),
    ("baseline", "file of known deviations: only new failures fail the run"),
    ("max_request_size", "the target's request size limit in bytes, if known"),
    ("fn_image", "image name for the fns the management areas create (never run)"),
    ("probe_image", "image of the probe function the invoke areas run"),
    ("node_memory", "memory in bytes the target's node gives containers, if known"),
    ("evictor_fn_memory", "memory (MB) of the evictor area's fns: one fits an evictor node"),
    ("lb_url", "base URL of an LB node in front of pure runners (the LB and HYB areas)"),
    ("status_image", "the pure runners' status image (FN_STATUS_IMAGE)"),
    (
        "runner_command",
        "shell command that stops or starts a runner: 'stop N' / 'start N' appended",
    ),
    ("seed", "hypothesis seed (default: random, recorded in the report)"),
    ("restart_command", "shell command that restarts a crashed target (then the run goes on)"),
    (
        "target_image",
        "start this container image as the target (testcontainers, DOCKER_HOST); never pulled",
    ),
    ("target_port", "the port the target image serves inside its container (default 8080)"),
)
DISRUPTIVE_HELP = "leave out the tests that send input known to break fragile servers"
#: (config key, the value the flag sets, help) for the options that take no value.
FLAG_OPTIONS = (
    ("disruptive", False, DISRUPTIVE_HELP),
    (
        "target_evictor_nodes",
        True,
        "also start two evictor nodes of the target image on its datastore (the evictor area)",
    ),
)
#: (config key, help) for repeatable ``--fn-<flag> VALUE`` options.
LIST_OPTIONS = (
    ("headers", "extra header NAME=VALUE sent with every request (repeatable)"),
    ("capabilities", "capability NAME=on|off (repeatable)"),
    ("requirements", "only requirements whose ID matches, e.g. 'FN-PAGE-*' (repeatable)"),
    ("evictor_nodes", "evictor node MODE=URL, MODE blocking or non-blocking (repeatable)"),
    ("runners", "gRPC host:port of a pure runner behind the LB (repeatable; the RUN area)"),
    ("target_env", "NAME=VALUE in the target image's environment (repeatable)"),
)


def pytest_flag(key: str) -> str:
    return "--fn-" + confmod.flag(key).removeprefix("--")


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("fn-conformance", "Fn conformance suite")
    group.addoption("--fn-conformance", action="store_true", help="run the Fn conformance suite")
    group.addoption("--fn-config", help="TOML file with suite settings (FNCONF_CONFIG)")
    group.addoption(
        "--fn-catalogue-check",
        action="store_true",
        help="fail collection when a MUST requirement has no test",
    )
    for key, _, help_text in FLAG_OPTIONS:
        group.addoption(pytest_flag(key), action="store_true", default=False, help=help_text)
    for key, help_text in VALUE_OPTIONS:
        group.addoption(pytest_flag(key), default=None, help=help_text)
    for key, help_text in LIST_OPTIONS:
        group.addoption(pytest_flag(key), action="append", default=[], help=help_text)


def build(config: pytest.Config) -> confmod.ConformanceConfig:
    """The run's configuration from the options, the environment and the file; checked."""
    options: dict[str, Any] = {
        key: config.getoption(_dest(pytest_flag(key))) for key, _ in VALUE_OPTIONS
    }
    for key, _ in LIST_OPTIONS:
        options[key] = config.getoption(_dest(pytest_flag(key))) or None
    for key, value, _ in FLAG_OPTIONS:
        if config.getoption(_dest(pytest_flag(key))):
            options[key] = value
    try:
        cfg = confmod.build(options, config_file=config.getoption("fn_config"))
        check(cfg)
    except InvalidConfig as exc:
        raise pytest.UsageError(f"fn-conformance: configuration error: {exc}") from None
    return cfg


def check(cfg: confmod.ConformanceConfig, catalogue: Catalogue | None = None) -> dict[str, str]:
    """Everything about ``cfg`` that can be wrong before a test runs; the baseline it names."""
    catalogue = catalogue or load()
    if cfg.target_evictor_nodes and cfg.evictor_nodes:
        raise InvalidConfig(
            f"{confmod.flag('target_evictor_nodes')} starts the evictor nodes itself: give it "
            f"or {confmod.flag('evictor_nodes')}, not both"
        )
    if cfg.target_image and cfg.api_url:
        raise InvalidConfig(
            f"{confmod.flag('target_image')} starts the target itself: give it or "
            f"{confmod.flag('api_url')} (FN_API_URL), not both"
        )
    try:
        in_profile = catalogue.in_profile(cfg.profile)
    except CatalogueError as exc:
        raise InvalidConfig(f"{exc} — choose one with --profile") from None
    ids = [r.id for r in in_profile]
    for pattern in cfg.requirements:
        if not fnmatch.filter(ids, pattern.upper()):
            raise InvalidConfig(
                f"--requirement {pattern!r} matches no requirement of profile {cfg.profile!r} "
                "(IDs look like FN-PAGE-003; patterns like 'FN-PAGE-*')"
            )
    return load_baseline(cfg.baseline, catalogue)


def selected_requirements(cfg: confmod.ConformanceConfig, ids: list[str]) -> set[str]:
    """The requirement IDs ``cfg.requirements`` selects among ``ids`` (all when it is empty)."""
    if not cfg.requirements:
        return set(ids)
    return {i for i in ids if any(fnmatch.fnmatchcase(i, p.upper()) for p in cfg.requirements)}


__all__ = [
    "DISRUPTIVE_HELP",
    "FLAG_OPTIONS",
    "LIST_OPTIONS",
    "VALUE_OPTIONS",
    "add_options",
    "build",
    "check",
    "pytest_flag",
]
