"""Generated names and bodies made safe for a shared target.

Every generated name gets the run's prefix (so a positive create makes an entity that is
unmistakably this run's), and linked sequences repair positive bodies so they keep the rules
Swagger 2.0 cannot express.
"""

from __future__ import annotations

import json
import string
from typing import Any

from ..resources import Names
from ..strategies import stable_letter

MAX_NAME_BYTES = 255
FN_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "$&+-.:=@_~")
NAMED_BODIES = {"createApp": "app", "updateApp": "app", "createFn": "fn",
                "createTrigger": "trigger", "updateTrigger": "trigger"}  # fmt: skip


def _name_char(kind: str, ch: str) -> bool:
    """A character the kind's names allow, on which every server's Unicode tables agree."""
    if kind == "fn":
        return ch in FN_NAME_CHARS
    return stable_letter(ch)


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def scoped_name(names: Names, kind: str, name: object, *, negative: bool) -> object:
    """The generated ``name`` carrying the run's prefix, valid or invalid as generated.

    A name the server accepts is made of the run's unique scope and the generated characters
    that the kind allows, cut to 255 bytes (positive cases thus create an entity with a
    prefixed name). In a negative case an invalid name keeps all its text behind the prefix,
    so whatever made it invalid (a character, its length) still does. Empty and non-string
    names create nothing and stay as they are.
    """
    if not isinstance(name, str) or not name:
        return name
    valid = _size(name) <= MAX_NAME_BYTES and all(_name_char(kind, ch) for ch in name)
    if negative and not valid:
        return names.scoped(name)
    kept = "".join(ch for ch in name if _name_char(kind, ch)) or "x"
    return names.scoped(kept).encode()[:MAX_NAME_BYTES].decode("utf-8", "ignore")


MAX_ANNOTATION_KEY_BYTES, MAX_ANNOTATION_VALUE_BYTES, MAX_ANNOTATIONS = 128, 512, 100
SYSLOG_SCHEMES = tuple(f"{scheme}://" for scheme in ("tcp", "udp", "unix", "unixgram", "tcp+tls"))


def repaired(body: dict[str, Any], path_parameters: dict[str, Any]) -> dict[str, Any]:
    """A schema-valid body that also keeps the rules Swagger 2.0 cannot express.

    Positive bodies are schema-valid, but most would still be refused for reasons the
    contract states in prose (annotation keys and values, syslog URL schemes, NUL-free
    strings, a body id equal to the path id), so few creates would succeed and linked
    sequences would rarely reach fns and triggers. The repair keeps the body schema-valid.
    Only linked sequences use it: the per-operation tests send bodies as generated (a null
    annotation value, say, must be refused with a 4xx, never a 5xx).
    """
    fixed: dict[str, Any] = _without_nul(body)
    updating = bool(path_parameters)  # "" deletes an annotation on update, is refused on create
    if isinstance(fixed.get("annotations"), dict):
        kept = [(k, v) for k, v in fixed["annotations"].items() if _storable(k, v, updating)]
        fixed["annotations"] = dict(kept[:MAX_ANNOTATIONS])
    syslog = fixed.get("syslog_url")
    if isinstance(syslog, str) and syslog.strip() and not syslog.strip().startswith(SYSLOG_SCHEMES):
        del fixed["syslog_url"]
    path_ids = [v for v in path_parameters.values() if isinstance(v, str)]
    if fixed.get("id") and path_ids and fixed["id"] != path_ids[0]:
        fixed["id"] = path_ids[0]
    return fixed


def _storable(key: str, value: object, updating: bool) -> bool:
    key_ok = 0 < _size(key) <= MAX_ANNOTATION_KEY_BYTES and all("!" <= ch <= "~" for ch in key)
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    value_ok = value is not None and (updating or value != "")
    return key_ok and value_ok and _size(text) <= MAX_ANNOTATION_VALUE_BYTES


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


__all__ = ["NAMED_BODIES", "repaired", "scoped_name"]
