"""Units of the reference server: ids, timestamps, name rules, merges, cursors, settings."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from starlette.datastructures import QueryParams

from reference_impl import ids
from reference_impl.api.paging import decode_cursor, encode_cursor, per_page
from reference_impl.config import Settings
from reference_impl.errors import BadRequest, ConfigError, InvalidCursor
from reference_impl.models import utc_now
from reference_impl.models.validation import (
    is_fn_name,
    is_unicode_name,
    merge_annotations,
    merge_config,
)


def test_ids_are_26_chars_unique_and_sort_by_creation_time() -> None:
    made = []
    for _ in range(200):
        made.append(ids.new_id())
        if len(made) % 50 == 0:
            time.sleep(0.002)
    assert all(ids.is_valid_id(i) and len(i) == 26 for i in made)
    assert len(set(made)) == len(made)
    assert made == sorted(made)


def test_timestamps_are_utc_rfc3339_with_milliseconds() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", utc_now())


@pytest.mark.parametrize("name", ["a", "A-b_c", "é", "日本", "²", "Ωmega9"])
def test_unicode_names_accept_letters_numbers_dash_underscore(name: str) -> None:
    assert is_unicode_name(name)


@pytest.mark.parametrize("name", ["a.b", "a b", "a/b", "a!", "tab\t", "\x00"])
def test_unicode_names_refuse_other_characters(name: str) -> None:
    assert not is_unicode_name(name)


def test_fn_names_are_url_path_safe_ascii() -> None:
    assert is_fn_name("a$&+-.:=@_~Z9")
    assert not any(is_fn_name(n) for n in ("é", "a b", "a/b", "a%", "a#", "a?"))


def test_annotation_merge_overwrites_removes_and_refuses_null() -> None:
    assert merge_annotations({"a": 1, "b": 2}, {"a": 3, "b": "", "c": [1]}) == {"a": 3, "c": [1]}
    with pytest.raises(BadRequest):
        merge_annotations({"a": 1}, {"a": None})


def test_config_merge_removes_on_empty_or_null() -> None:
    assert merge_config({"a": "1", "b": "2", "c": "3"}, {"a": "", "b": None, "d": "4"}) == {
        "c": "3",
        "d": "4",
    }


def test_cursor_round_trips_and_refuses_junk() -> None:
    key = ("名前-é", "01ABCDEFGHJKMNPQRSTVWXYZ00")
    assert decode_cursor(encode_cursor(key)) == key
    for junk in ("!!!", "e30", "WzEsMiwzXQ", "bm90IGpzb24", "W10"):
        with pytest.raises(InvalidCursor):
            decode_cursor(junk)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, 30),
        ("", 30),
        ("0", 30),
        ("-5", 30),
        ("abc", 30),
        ("1", 1),
        ("100", 100),
        ("101", 100),
    ],
)
def test_per_page_defaults_and_clamps(given: str | None, expected: int) -> None:
    params = QueryParams({} if given is None else {"per_page": given})
    assert per_page(params) == expected


def test_settings_read_upstream_names_and_file_variants(tmp_path: Path) -> None:
    secret = tmp_path / "db_url"
    secret.write_text("sqlite3:///tmp/x.db\n")
    settings = Settings.from_env(
        {"FN_PORT": "9000", "FN_DB_URL_FILE": str(secret), "FN_PUBLIC_LB_URL": "http://lb/",
         "FN_NODE_TYPE": "api", "FN_MAX_REQUEST_SIZE": "10"}
    )  # fmt: skip
    assert settings.port == 9000
    assert settings.db_url == "sqlite3:///tmp/x.db"
    assert settings.public_lb_url == "http://lb"
    assert settings.node_type == "api"
    assert settings.bind_address == "127.0.0.1"


@pytest.mark.parametrize(
    "env",
    [{"FN_PORT": "x"}, {"FN_PORT": "70000"}, {"FN_NODE_TYPE": "runner"}, {"FN_LOG_LEVEL": "loud"},
     {"FN_MAX_REQUEST_SIZE": "-1"}, {"FN_DS_EXTRA_ANNOTATIONS": "[1]"}],
)  # fmt: skip
def test_settings_refuse_bad_values(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env(env)
