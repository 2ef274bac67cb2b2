"""Findings about a target, and the outcomes a requirement can end with."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import NoReturn

import pytest

from .recorder import Exchange


class Outcome(enum.Enum):
    """Per test and per requirement; a parent's outcome is the worst of its children's."""

    PASSED = "passed"
    DISABLED = "disabled"  # turned off by configuration
    UNSUPPORTED = "unsupported"  # the target says it lacks an optional capability
    INCONCLUSIVE = "inconclusive"  # a timing check on a machine too noisy to decide
    NOT_RUN = "not-run"  # no test ran for it (deselected)
    ERROR = "error"  # the suite or the environment broke, not the target
    FAILED = "failed"  # the target broke the requirement

    @property
    def rank(self) -> int:
        return list(Outcome).index(self)

    @staticmethod
    def worst(outcomes: Sequence[Outcome]) -> Outcome:
        return max(outcomes, key=lambda o: o.rank) if outcomes else Outcome.NOT_RUN


#: pytest skip reasons start with these words so the plugin can tell the outcomes apart.
SKIP_PREFIXES = {
    "disabled:": Outcome.DISABLED,
    "unsupported:": Outcome.UNSUPPORTED,
    "inconclusive:": Outcome.INCONCLUSIVE,
}


class ConformanceFailure(AssertionError):
    """The target broke a requirement. ``str()`` gives the title, the message and the evidence."""

    def __init__(
        self,
        title: str,
        message: str,
        *,
        requirement_id: str | None = None,
        exchange: Exchange | None = None,
    ) -> None:
        self.title = title
        self.message = message
        self.requirement_id = requirement_id
        self.exchange = exchange
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"[{self.requirement_id}] {self.title}" if self.requirement_id else self.title
        text = f"{head}\n{self.message}"
        if self.exchange is not None:
            text += f"\n{self.exchange.summary()}\nReproduce: {self.exchange.curl()}"
        return text


def disabled(reason: str) -> NoReturn:
    pytest.skip(f"disabled: {reason}")


def unsupported(reason: str, evidence: Exchange | None = None) -> NoReturn:
    detail = f"\n{evidence.summary()}" if evidence is not None else ""
    pytest.skip(f"unsupported: {reason}{detail}")


def inconclusive(reason: str) -> NoReturn:
    pytest.skip(f"inconclusive: {reason}")


__all__ = ["ConformanceFailure", "Outcome", "disabled", "inconclusive", "unsupported"]
