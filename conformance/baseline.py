"""Baselines: a target's known deviations, each with its reason, so a run fails only on new ones.

A baseline is YAML (or JSON)::

    target: fn 0.3.753            # free text, shown in the report
    deviations:
      - id: FN-PAGE-007
        reason: "answers 500 for a cursor it cannot decode"

It is read and checked before any test runs: an unreadable file, a missing reason or an ID the
catalogue does not know is a configuration error.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import InvalidConfig
from .requirements import Catalogue

_KEYS = {"target", "deviations", "notes"}


def load_baseline(path: str, catalogue: Catalogue) -> dict[str, str]:
    """``{requirement id: reason}`` from the baseline at ``path`` (nothing for ``""``)."""
    if not path:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidConfig(f"cannot read the baseline {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InvalidConfig(f"the baseline {path} is not valid YAML{where}") from None
    if not isinstance(data, dict) or not isinstance(data.get("deviations"), list):
        raise InvalidConfig(f"the baseline {path} must hold 'deviations: [{{id, reason}}, ...]'")
    unknown_keys = sorted(set(data) - _KEYS)
    if unknown_keys:
        raise InvalidConfig(f"the baseline {path} has unknown keys: {', '.join(unknown_keys)}")
    out: dict[str, str] = {}
    for number, entry in enumerate(data["deviations"], 1):
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("reason"):
            raise InvalidConfig(f"the baseline {path}: deviation {number} needs an id and a reason")
        req_id = str(entry["id"])
        if req_id not in catalogue:
            raise InvalidConfig(f"the baseline {path} names an unknown requirement {req_id}")
        if req_id in out:
            raise InvalidConfig(f"the baseline {path} lists {req_id} twice")
        out[req_id] = str(entry["reason"]).strip()
    return out


__all__ = ["load_baseline"]
