"""Build the probe image through the docker SDK on the target's engine, with no registry.

pip downloads the FDK's wheels on the host (for the base image's Python 3.11 on x86-64); the
image is built FROM ``localhost/fn-base:bookworm`` and may be saved as a ``docker save`` tarball.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import ConformanceException
from . import CONTAINERFILE, FUNC, STATUS_FUNC, STATUS_IMAGE

DEFAULT_TAG = f"localhost/fn-probe:{__version__}"
BASE_IMAGE = "localhost/fn-base:bookworm"


class BuildError(ConformanceException):
    pass


def engine(timeout: float = 30) -> Any:
    """A docker SDK client of DOCKER_HOST; BuildError saying how to get one when unreachable."""
    try:
        import docker
    except ImportError:
        raise BuildError(
            "building images needs the docker extra: pip install 'fn-conformance[docker]'"
        ) from None
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except docker.errors.DockerException as exc:
        raise BuildError(
            f"no Docker-compatible engine at DOCKER_HOST ({exc}); start one, e.g. "
            'eval "$(../shared/engine/podman-engine.sh up)"'
        ) from None
    return client


#: pip's target for wheels that go into an image: the base image's CPython 3.11 on x86-64.
WHEEL_TARGET = (
    "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp",
    "--abi", "cp311", "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_28_x86_64",
)  # fmt: skip


def download_wheels(into: Path, requirements: tuple[str, ...] | None = None) -> None:
    """pip downloads ``requirements`` (default: the FDK and its event loop) and pip itself as
    wheels for the base image into ``into``; no registry is involved in the build after that."""
    if requirements is None:
        requirements = (f"fdk=={importlib.metadata.version('fdk')}", "uvloop")
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", *WHEEL_TARGET,
        "-d", str(into), *requirements, "pip",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"pip could not download the wheels: {done.stderr.strip()[-800:]}")


def build_context(client: Any, context: Path, tag: str, what: str) -> str:
    """Build ``context`` (its Containerfile) as ``tag`` on the engine; the image id."""
    import docker

    try:
        image, _ = client.images.build(
            path=str(context), dockerfile="Containerfile", tag=tag, rm=True, pull=False
        )
    except docker.errors.BuildError as exc:
        tail = "".join(str(line.get("stream", "")) for line in exc.build_log)[-800:]
        raise BuildError(f"{what} did not build: {exc.msg}\n{tail}") from None
    except docker.errors.APIError as exc:
        raise BuildError(f"the engine refused the build of {what}: {exc}") from None
    return str(image.id)


def require_base(client: Any) -> None:
    import docker

    try:
        client.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        raise BuildError(
            f"the base image {BASE_IMAGE} is missing; ../shared/engine/podman-engine.sh up makes it"
        ) from None


def build_probe(tag: str = DEFAULT_TAG, *, save: Path | None = None, client: Any = None) -> str:
    """Build the probe image as ``tag`` (and save it to ``save``); the image id."""
    client = client or engine()
    require_base(client)
    with tempfile.TemporaryDirectory(prefix="fn-probe-build-") as tmp:
        context = Path(tmp)
        shutil.copy(FUNC, context / "func.py")
        shutil.copy(STATUS_FUNC, context / "status.py")
        shutil.copy(CONTAINERFILE, context / "Containerfile")
        download_wheels(context / "wheels")
        image_id = build_context(client, context, tag, "the probe image")
    if save is not None:
        save_image(client, tag, save)
    return image_id


def build_status(
    tag: str = STATUS_IMAGE,
    *,
    probe: str = DEFAULT_TAG,
    save: Path | None = None,
    client: Any = None,
) -> str:
    """Build the status function's image FROM the probe image (built first if missing)."""
    import docker

    client = client or engine()
    try:
        client.images.get(probe)
    except docker.errors.ImageNotFound:
        build_probe(probe, client=client)
    with tempfile.TemporaryDirectory(prefix="fn-status-build-") as tmp:
        context = Path(tmp)
        (context / "Containerfile").write_text(
            f'FROM {probe}\nENTRYPOINT ["python3", "/function/status.py"]\n'
        )
        image_id = build_context(client, context, tag, "the status image")
    if save is not None:
        save_image(client, tag, save)
    return image_id


def save_image(client: Any, tag: str, path: Path) -> None:
    """``docker save`` of one image into ``path`` (what FN_DOCKER_LOAD_FILE loads)."""
    with open(path, "wb") as out:
        for chunk in client.images.get(tag).save(named=True):
            out.write(chunk)


__all__ = [
    "BASE_IMAGE",
    "DEFAULT_TAG",
    "BuildError",
    "build_context",
    "build_probe",
    "build_status",
    "download_wheels",
    "engine",
    "require_base",
    "save_image",
]
