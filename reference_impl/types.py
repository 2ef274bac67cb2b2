"""Type aliases shared by every layer of the reference server."""

from typing import Any, TypeAlias

AppId: TypeAlias = str
FnId: TypeAlias = str
TriggerId: TypeAlias = str
JSON: TypeAlias = Any
JSONObject: TypeAlias = dict[str, Any]
Annotations: TypeAlias = dict[str, Any]
Config: TypeAlias = dict[str, str]

__all__ = ["JSON", "Annotations", "AppId", "Config", "FnId", "JSONObject", "TriggerId"]
