"""Field rules shared by apps, fns and triggers: names, annotations, config, body shapes."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ..errors import BadRequest, InvalidJSON
from ..types import Annotations, Config, JSONObject

MAX_NAME_BYTES = 255
MAX_SOURCE_BYTES = 256
MAX_ANNOTATION_KEY_BYTES = 128
MAX_ANNOTATION_VALUE_BYTES = 512
MAX_ANNOTATIONS = 100
SYSLOG_SCHEMES = ("tcp", "udp", "unix", "unixgram", "tcp+tls")
SHAPES = ("GENERIC_X86", "GENERIC_ARM", "GENERIC_X86_ARM")

_ANNOTATION_KEY = re.compile(r"^[!-~]+$")
_FN_NAME = re.compile(r"^[A-Za-z0-9$&+\-.:=@_~]+$")


def is_unicode_name(name: str) -> bool:
    """App and trigger names: Unicode letters and numbers, ``_`` and ``-``."""
    return all(ch in "_-" or unicodedata.category(ch)[0] in "LN" for ch in name)


def is_fn_name(name: str) -> bool:
    """Fn names: ASCII letters, digits and ``$ & + - . : = @ _ ~`` (URL-path safe)."""
    return bool(_FN_NAME.match(name))


def name_too_long(name: str) -> bool:
    return len(name.encode("utf-8")) > MAX_NAME_BYTES


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def check_annotation_entry(key: str, value: Any) -> None:
    if not _ANNOTATION_KEY.match(key):
        raise BadRequest(
            "Invalid annotation key, annotation keys must be non-empty ascii strings "
            "excluding whitespace"
        )
    if len(key.encode("utf-8")) > MAX_ANNOTATION_KEY_BYTES:
        raise BadRequest(
            "Invalid annotation key length, annotation keys may not be larger than "
            f"{MAX_ANNOTATION_KEY_BYTES} bytes"
        )
    if value is None or value == "":
        raise BadRequest(
            "Invalid annotation value, annotation values may only be non-empty strings, "
            "numbers, objects, or arrays"
        )
    if len(compact(value).encode("utf-8")) > MAX_ANNOTATION_VALUE_BYTES:
        raise BadRequest(
            "Invalid annotation value length, annotation values may not be larger than "
            f"{MAX_ANNOTATION_VALUE_BYTES} bytes when serialized as JSON"
        )


def check_annotations(annotations: Annotations) -> None:
    for key, value in annotations.items():
        check_annotation_entry(key, value)
    check_annotation_count(annotations)


def check_annotation_count(annotations: Annotations) -> None:
    if len(annotations) > MAX_ANNOTATIONS:
        raise BadRequest(
            "Invalid annotation change, new key(s) exceed maximum permitted number of "
            f"annotations keys ({MAX_ANNOTATIONS})"
        )


def merge_annotations(current: Annotations, change: Annotations) -> Annotations:
    """PUT semantics: keys in ``change`` overwrite, ``""`` removes, ``null`` is refused."""
    merged = dict(current)
    for key, value in change.items():
        if value == "":
            merged.pop(key, None)
            continue
        check_annotation_entry(key, value)
        merged[key] = value
    check_annotation_count(merged)
    return merged


def merge_config(current: Config, change: Mapping[str, str | None]) -> Config:
    """PUT semantics: keys in ``change`` overwrite, ``""`` or ``null`` removes the key."""
    merged = dict(current)
    for key, value in change.items():
        if value is None or value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def check_syslog_url(url: str) -> None:
    text = url.strip()
    if not text:
        return
    scheme = urlsplit(text).scheme if ":" in text else ""
    if scheme not in SYSLOG_SCHEMES:
        raise BadRequest(
            f'invalid syslog url: "{url}" invalid scheme, only '
            "[tcp, udp, unix, unixgram, tcp+tls] are supported"
        )


class Body:
    """Typed access to one JSON request body, refusing unknown fields and wrong types."""

    def __init__(self, data: Any, *, allowed: frozenset[str], entity: str) -> None:
        if not isinstance(data, dict):
            raise InvalidJSON(f"Invalid JSON: the {entity} body must be a JSON object")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise BadRequest(f"Invalid JSON: unknown field {unknown[0]!r} in {entity}")
        self._data: JSONObject = data
        self._entity = entity

    def string(self, key: str) -> str | None:
        value = self._present(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise InvalidJSON(f"Invalid JSON: {key!r} must be a string")
        return value

    def integer(self, key: str) -> int | None:
        value = self._present(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidJSON(f"Invalid JSON: {key!r} must be an integer")
        return value

    def string_map(self, key: str, *, allow_null_values: bool) -> dict[str, Any] | None:
        value = self._present(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise InvalidJSON(f"Invalid JSON: {key!r} must be an object of strings")
        for item in value.values():
            if item is None and allow_null_values:
                continue
            if not isinstance(item, str):
                raise InvalidJSON(f"Invalid JSON: every value of {key!r} must be a string")
        return dict(value)

    def annotations(self) -> Annotations | None:
        value = self._present("annotations")
        if value is None:
            return None
        if not isinstance(value, dict):
            raise InvalidJSON("Invalid JSON: 'annotations' must be an object")
        return dict(value)

    def _present(self, key: str) -> Any:
        if key not in self._data:
            return None
        value = self._data[key]
        if value is None:
            raise InvalidJSON(f"Invalid JSON: {key!r} must not be null")
        return value
