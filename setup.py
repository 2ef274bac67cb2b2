"""Build step beyond pyproject.toml: generate the gRPC stubs of fn_runner_protocol/runner.proto
(into the source tree for editable installs, into the build folder otherwise)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "_fn_generate", ROOT / "fn_runner_protocol" / "_generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        out = ROOT if self.editable_mode else Path(self.build_lib)
        _generator().generate(ROOT, out)


setup(cmdclass={"build_py": BuildPy})
