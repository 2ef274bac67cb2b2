"""The Fn conformance suite: a pytest plugin that checks any Fn target against our contract."""

from .checks import check
from .failures import ConformanceFailure, Outcome
from .requirements import Requirement

try:
    from importlib import metadata

    __version__ = metadata.version("fn-conformance")
except Exception:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+source"

__all__ = ["ConformanceFailure", "Outcome", "Requirement", "__version__", "check"]
