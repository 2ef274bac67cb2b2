"""The schema-driven area's machinery: schemathesis over swaggerv2.yml, made safe for shared
targets, its findings tied to the catalogue's requirements. The tests are in
``conformance/suite/test_schema.py``."""

from __future__ import annotations

from .requirements import RESPONSE_REQS
from .runner import Runner
from .spec import NEGATABLE, OPERATIONS, has_path_parameters

__all__ = ["NEGATABLE", "OPERATIONS", "RESPONSE_REQS", "Runner", "has_path_parameters"]
