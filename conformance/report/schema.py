"""The published format of ``results.json``: its JSON Schema, validation, and a careful reader.

The schema ships with the package (``results.schema.json`` next to this module) and describes
exactly one ``schema_version`` (:data:`SCHEMA_VERSION`, the version the writer in
:mod:`~conformance.report.json_report` writes). A later version adds fields only under a new
number, so a reader checks ``schema_version`` first: :func:`read_results` refuses any version
it does not read with a one-line error, then validates the document against the schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from .. import __version__
from ..errors import ConformanceError
from .json_report import NAME, SCHEMA_VERSION

SCHEMA_PATH = Path(__file__).with_name("results.schema.json")
#: The ``schema_version`` values this version of the suite reads.
READABLE_VERSIONS = (SCHEMA_VERSION,)
_MESSAGE_LIMIT = 300


class ResultsError(ConformanceError, ValueError):
    """A results document cannot be read: missing, not JSON, an unknown version, or invalid."""


def load_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``results.json`` at :data:`SCHEMA_VERSION`."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def json_path(error: ValidationError) -> str:
    """Where ``error`` is in the document, as a JSONPath (``$.requirements[3].outcome``)."""
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def validate(document: Any) -> None:
    """Raise :class:`ResultsError` naming the first problem when ``document`` does not follow the
    schema of :data:`SCHEMA_VERSION`."""
    validator = Draft202012Validator(load_schema())
    error = best_match(validator.iter_errors(document))
    if error is None:
        return
    text = " ".join(error.message.split())
    if len(text) > _MESSAGE_LIMIT:
        text = text[:_MESSAGE_LIMIT] + "..."
    raise ResultsError(
        f"not a valid results document (schema_version {SCHEMA_VERSION}) at {json_path(error)}: "
        f"{text}"
    )


def read_results(path: Path) -> dict[str, Any]:
    """The results document in ``path`` (a run folder holding ``results.json``, or the file),
    checked: a readable JSON object of a version this suite reads, valid against its schema."""
    file = path / NAME if path.is_dir() else path
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        where = f"{path} holds no {NAME}" if path.is_dir() else f"{file}: no such file"
        raise ResultsError(f"{where} (give a run folder or its {NAME})") from None
    except UnicodeDecodeError:
        raise ResultsError(f"{file} is not UTF-8 text, so not a {NAME}") from None
    except OSError as exc:
        raise ResultsError(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsError(
            f"{file} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(document, dict):
        raise ResultsError(
            f"{file} is not a results document: a JSON object expected, "
            f"not {type(document).__name__}"
        )
    if "schema_version" not in document:
        raise ResultsError(f"{file} has no schema_version: not a {NAME} of fn-conformance")
    version = document["schema_version"]
    if type(version) is not int or version not in READABLE_VERSIONS:
        readable = ", ".join(str(v) for v in READABLE_VERSIONS)
        hint = "use the fn-conformance that wrote it"
        if type(version) is int and version > max(READABLE_VERSIONS):
            hint += ", or a newer one"
        raise ResultsError(
            f"{file} has schema_version {version!r}; this fn-conformance {__version__} reads "
            f"version {readable} only ({hint})"
        )
    try:
        validate(document)
    except ResultsError as exc:
        raise ResultsError(f"{file} is {exc}") from None
    return document


__all__ = [
    "READABLE_VERSIONS",
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "ResultsError",
    "json_path",
    "load_schema",
    "read_results",
    "validate",
]
