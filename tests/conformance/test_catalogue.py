"""The requirement catalogue: well-formed, and every MUST has a suite test (collection check)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conformance.errors import CatalogueError
from conformance.requirements import load, parse

ROOT = Path(__file__).resolve().parents[2]


def test_catalogue_loads_with_unique_ids_and_known_areas() -> None:
    catalogue = load()
    assert len(catalogue.requirements) >= 60
    areas = {area for areas in catalogue.profiles.values() for area in areas}
    assert {r.area for r in catalogue.requirements.values()} <= areas


@pytest.mark.parametrize(
    "entry",
    [
        {"id": "FN-APP-1", "level": "MUST", "area": "APP", "title": "t", "source": "s"},
        {"id": "FN-APP-001", "level": "OUGHT", "area": "APP", "title": "t", "source": "s"},
        {"id": "FN-APP-001", "level": "MUST", "area": "FN", "title": "t", "source": "s"},
        {"id": "FN-APP-001", "level": "MUST", "area": "APP", "title": "t", "source": "s", "x": 1},
    ],
)
def test_malformed_entries_are_refused(entry: dict[str, object]) -> None:
    with pytest.raises(CatalogueError):
        parse({"version": 1, "requirements": [entry]})


def test_a_requirement_listed_twice_is_refused() -> None:
    entry = {"id": "FN-APP-001", "level": "MUST", "area": "APP", "title": "t", "source": "s"}
    with pytest.raises(CatalogueError):
        parse({"version": 1, "requirements": [entry, entry]})


def _collect(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q",
         "--fn-conformance", "--fn-target", "http://127.0.0.1:9", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_every_must_requirement_has_a_suite_test() -> None:
    # The cluster profile holds every area (api and full are parts of it).
    result = _collect(
        "--pyargs", "conformance.suite", "--fn-catalogue-check", "--fn-profile", "cluster"
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_a_test_naming_an_unknown_requirement_fails_collection(tmp_path: Path) -> None:
    (tmp_path / "test_bogus.py").write_text(
        "import pytest\n\n@pytest.mark.requirement('FN-APP-999')\ndef test_x():\n    pass\n"
    )
    result = _collect(str(tmp_path / "test_bogus.py"), cwd=tmp_path)
    assert result.returncode != 0
    assert "FN-APP-999" in result.stdout + result.stderr


def test_a_suite_test_without_requirements_fails_collection(tmp_path: Path) -> None:
    # This folder plays the suite package for the child run.
    (tmp_path / "conftest.py").write_text(
        "from pathlib import Path\nimport conformance.plugin.selection as selection\n"
        "selection.SUITE_DIR = Path(__file__).resolve().parent\n"
    )
    (tmp_path / "test_bare.py").write_text("def test_x():\n    pass\n")
    result = _collect(str(tmp_path / "test_bare.py"), cwd=tmp_path)
    assert result.returncode != 0
    assert "declares no requirement" in result.stdout + result.stderr


def test_tests_outside_the_suite_need_no_requirements(tmp_path: Path) -> None:
    (tmp_path / "test_bare.py").write_text("def test_x():\n    pass\n")
    result = _collect(str(tmp_path / "test_bare.py"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
