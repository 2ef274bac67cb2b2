"""Suite configuration: precedence (options > environment > file), strict validation, redaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.config import build
from conformance.errors import InvalidConfig


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "fnconf.toml"
    path.write_text(text)
    return str(path)


def test_options_beat_environment_and_environment_beats_file(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        'api_url = "http://file:1"\nprofile = "api"\neffort = "dev"\nrun_id = "fromfile"\n',
    )
    env = {"FN_API_URL": "http://env:2", "FNCONF_EFFORT": "thorough"}
    cfg = build({"api_url": "http://option:3"}, environ=env, config_file=file)
    assert cfg.api_url == "http://option:3"
    assert cfg.effort == "thorough"
    assert cfg.run_id == "fromfile"


def test_config_file_from_environment_variable(tmp_path: Path) -> None:
    file = write(tmp_path, "request_budget = 40\n")
    assert build({}, environ={"FNCONF_CONFIG": file}).request_budget == 40


@pytest.mark.parametrize(
    ("environ", "text"),
    [
        ({"FNCONF_NOPE": "1"}, ""),
        ({}, "nope = 1\n"),
        ({"FNCONF_EFFORT": "maximal"}, ""),
        ({"FNCONF_CAPABILITIES": "teleport=on"}, ""),
        ({"FNCONF_CAPABILITIES": "hybrid_api=perhaps"}, ""),
        ({"FNCONF_REQUEST_BUDGET": "many"}, ""),
        ({"FN_API_URL": "ftp://x"}, ""),
        ({"FNCONF_TIMEOUT_MULTIPLIER": "0"}, ""),
    ],
)
def test_unknown_keys_and_bad_values_are_errors(
    tmp_path: Path, environ: dict[str, str], text: str
) -> None:
    file = write(tmp_path, text) if text else None
    with pytest.raises(InvalidConfig):
        build({}, environ=environ, config_file=file)


def test_headers_and_capabilities_parse_from_text() -> None:
    cfg = build(
        {"headers": ["X-Team=qa", "X-Other: 1"], "capabilities": ["hybrid_api=off"]}, environ={}
    )
    assert cfg.headers == {"X-Team": "qa", "X-Other": "1"}
    assert cfg.capability("hybrid_api") is False


def test_token_and_auth_headers_are_redacted() -> None:
    cfg = build(
        {"token": "s3cret", "headers": ["Authorization=Basic abc", "X-Team=qa"]}, environ={}
    )
    assert cfg.all_headers["Authorization"] == "Bearer s3cret"
    redacted = cfg.redacted()
    assert "s3cret" not in str(redacted)
    assert "Basic abc" not in str(redacted)
    assert redacted["headers"]["X-Team"] == "qa"


def test_request_size_capability_follows_the_known_limit() -> None:
    assert build({}, environ={}).capability("request_size_limit") is False
    assert build({"max_request_size": "1024"}, environ={}).capability("request_size_limit") is True
