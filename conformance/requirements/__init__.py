"""The requirement catalogue, loaded from ``catalogue.yml`` into :class:`Requirement` objects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from ..capabilities import REGISTRY as CAPABILITIES
from ..errors import CatalogueError

LEVELS = ("MUST", "SHOULD", "MAY")
ID_PATTERN = re.compile(r"^FN-([A-Z]+)-\d{3}$")


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str
    area: str
    title: str
    source: str
    capability: str | None = None

    @property
    def is_must(self) -> bool:
        return self.level == "MUST"


@dataclass(frozen=True)
class Catalogue:
    requirements: dict[str, Requirement]
    profiles: dict[str, tuple[str, ...]]
    #: Area code -> what it covers (the one set of area names of every report).
    areas: dict[str, str]

    def __getitem__(self, req_id: str) -> Requirement:
        try:
            return self.requirements[req_id]
        except KeyError:
            raise CatalogueError(f"unknown requirement ID {req_id!r}") from None

    def __contains__(self, req_id: object) -> bool:
        return req_id in self.requirements

    def in_profile(self, profile: str) -> list[Requirement]:
        if profile not in self.profiles:
            known = ", ".join(sorted(self.profiles))
            raise CatalogueError(f"unknown profile {profile!r} (known: {known})")
        areas = set(self.profiles[profile])
        return [r for r in self.requirements.values() if r.area in areas]


def parse(data: Any) -> Catalogue:
    if not isinstance(data, dict) or data.get("version") != 1:
        raise CatalogueError("catalogue must be a mapping with version: 1")
    found: dict[str, Requirement] = {}
    for entry in data.get("requirements", []):
        extra = set(entry) - {"id", "level", "area", "title", "source", "capability"}
        if extra:
            raise CatalogueError(f"{entry.get('id')}: unknown keys {sorted(extra)}")
        req = Requirement(**entry)
        match = ID_PATTERN.match(req.id)
        if not match or match.group(1) != req.area:
            raise CatalogueError(f"{req.id}: ID must be FN-<AREA>-NNN with area {req.area}")
        if req.level not in LEVELS:
            raise CatalogueError(f"{req.id}: level must be one of {LEVELS}")
        if req.id in found:
            raise CatalogueError(f"{req.id}: listed twice")
        if req.capability is not None and req.capability not in CAPABILITIES:
            raise CatalogueError(f"{req.id}: unknown capability {req.capability!r}")
        found[req.id] = req
    profiles = {name: tuple(areas) for name, areas in data.get("profiles", {}).items()}
    areas = {str(code): str(text) for code, text in data.get("areas", {}).items()}
    unnamed = sorted({r.area for r in found.values()} - set(areas))
    if unnamed:
        raise CatalogueError(f"areas without a name in the catalogue: {', '.join(unnamed)}")
    return Catalogue(requirements=found, profiles=profiles, areas=areas)


@lru_cache(maxsize=1)
def load() -> Catalogue:
    text = (resources.files(__package__) / "catalogue.yml").read_text(encoding="utf-8")
    return parse(yaml.safe_load(text))


__all__ = ["Catalogue", "Requirement", "load", "parse"]
