"""Findings about a target, and the outcomes a requirement can end with."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import NoReturn

import pytest

from .errors import ConformanceException
from .recorder import Exchange


class Outcome(enum.Enum):
    """Per test and per requirement; a parent's outcome is the worst of its children's."""

    PASSED = "passed"
    DISABLED = "disabled"  # turned off by configuration (a capability the target lacks)
    UNSUPPORTED = "unsupported"  # the target's configuration says it lacks an optional feature
    INCONCLUSIVE = "inconclusive"  # a timing check on a machine too noisy to decide
    NOT_RUN = "not-run"  # a test of it did not run (deselected, left out, run stopped)
    ERROR = "error"  # the suite or the environment broke, not the target
    FAILED = "failed"  # the target broke the requirement

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @staticmethod
    def worst(outcomes: Iterable[Outcome]) -> Outcome:
        found = list(outcomes)
        return max(found, key=lambda o: o.rank) if found else Outcome.NOT_RUN


_RANKS = {outcome: rank for rank, outcome in enumerate(Outcome)}

#: pytest skip reasons start with these words so the plugin can tell the outcomes apart.
SKIP_PREFIXES = {
    "disabled:": Outcome.DISABLED,
    "unsupported:": Outcome.UNSUPPORTED,
    "inconclusive:": Outcome.INCONCLUSIVE,
    "not-run:": Outcome.NOT_RUN,
}


class ConformanceFailure(ConformanceException, AssertionError):
    """The target broke a requirement. ``str()`` gives the title, the message and the evidence."""

    def __init__(
        self,
        title: str,
        message: str,
        *,
        requirement_id: str | None = None,
        exchange: Exchange | None = None,
        context: tuple[Exchange, ...] = (),
    ) -> None:
        self.title = title
        self.message = message
        self.requirement_id = requirement_id
        self.exchange = exchange
        #: Earlier exchanges that explain this one (e.g. the request after which a target died).
        self.context = context
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"[{self.requirement_id}] {self.title}" if self.requirement_id else self.title
        text = f"{head}\n{self.message}"
        for exchange in (*self.context, *([self.exchange] if self.exchange else [])):
            text += f"\n{exchange.summary()}\nReproduce: {exchange.curl()}"
        return text


def disabled(reason: str) -> NoReturn:
    pytest.skip(f"disabled: {reason}")


def unsupported(reason: str, evidence: Exchange | None = None) -> NoReturn:
    detail = f"\n{evidence.summary()}" if evidence is not None else ""
    pytest.skip(f"unsupported: {reason}{detail}")


def inconclusive(reason: str) -> NoReturn:
    pytest.skip(f"inconclusive: {reason}")


def not_run(reason: str) -> NoReturn:
    pytest.skip(f"not-run: {reason}")


__all__ = [
    "SKIP_PREFIXES",
    "ConformanceFailure",
    "Outcome",
    "disabled",
    "inconclusive",
    "not_run",
    "unsupported",
]
