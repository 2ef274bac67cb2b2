"""Fast checks of the variant catalogue itself (no server is started)."""

from __future__ import annotations

import subprocess
import sys

from conformance.requirements import load

from .test_power import ROOT, _child_env
from .variants import VARIANTS, by_name

SUITE = ROOT / "conformance" / "suite"


def test_catalogue_has_enough_variants_of_each_kind() -> None:
    assert sum(not v.harmless for v in VARIANTS) >= 20
    assert sum(v.harmless for v in VARIANTS) >= 5


def test_variant_names_are_unique_and_found_by_name() -> None:
    names = [v.name for v in VARIANTS]
    assert len(names) == len(set(names))
    for name in names:
        assert by_name(name).name == name


def test_broken_variants_name_known_must_requirements_and_harmless_name_none() -> None:
    catalogue = load()
    for variant in VARIANTS:
        assert bool(variant.breaks) != variant.harmless, variant.name
        for req_id in variant.breaks:
            assert req_id in catalogue, f"{variant.name}: unknown requirement {req_id}"
            # Only a failed MUST fails the verdict, which a broken variant must do.
            assert catalogue[req_id].is_must, f"{variant.name}: {req_id} is not a MUST"


def test_every_variant_changes_the_server_somehow() -> None:
    for variant in VARIANTS:
        assert variant.apply or variant.wrap or variant.env, variant.name
        assert variant.doc and variant.areas, variant.name


def test_every_area_is_a_suite_module_file() -> None:
    known = {p.stem for p in SUITE.glob("test_*.py")}
    for variant in VARIANTS:
        for area in variant.areas:
            assert area in known, f"{variant.name}: no suite module {area}.py"


def test_every_patch_applies_to_the_current_reference() -> None:
    """Each variant's patches find their targets (in a child process, to keep ours clean)."""
    code = (
        "from tests.power.variants import VARIANTS\n"
        "for v in VARIANTS:\n"
        "    if v.apply is not None:\n"
        "        v.apply()\n"
    )
    # Patches of the same attribute stack up; that is fine for a pure existence check.
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_child_env(),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def test_serve_refuses_an_unknown_variant() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.power.serve", "no-such-variant"], cwd=ROOT,
        env=_child_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "unknown variant" in proc.stderr
