"""A plugin for the inner suite runs (``-p tests.power._fast``): no shrinking, no explaining.

The power test needs the suite's verdict and the requirements it names, not a minimal failing
example; Hypothesis' shrink and explain phases against a broken server cost far more time than
finding the failure. The profile the suite loaded is otherwise kept as it is.
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    settings.register_profile(
        "fn-power", parent=settings.default, phases=[Phase.explicit, Phase.reuse, Phase.generate]
    )
    settings.load_profile("fn-power")
