"""Build the reference server as a container image, with no registry: ``fn-conformance
build-image``.

The image is FROM ``localhost/fn-base:bookworm``; pip downloads the server's dependencies as
wheels on the host (the versions this installation asks for), and the installed packages of the
server (``reference_impl``, ``fn_runner_protocol`` with its generated stubs) are copied in as
they are, so an editable checkout and a wheel install build the same image. It serves a full
node with the process driver on port 8080 (inside the container) over SQLite in
``/var/lib/fn``, as an unprivileged user, and runs the probe and the status function for the
invoke areas. Every ``FN_*`` setting can be changed with ``--target-env``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

from . import __version__
from ._container import IMAGE_PORT as PORT
from .probe import FUNC, PROBE_IMAGE, STATUS_FUNC, STATUS_IMAGE
from .probe.build import (
    BASE_IMAGE,
    BuildError,
    build_context,
    download_wheels,
    engine,
    require_base,
    save_image,
)

REFERENCE_IMAGE = f"localhost/fn-reference:{__version__}"
#: The distributions the server imports (the rest of the project's dependencies are the suite's).
SERVER_DISTRIBUTIONS = (
    "starlette", "uvicorn", "orjson", "prometheus-client", "httptools", "httpx", "grpcio",
    "protobuf", "fdk", "psycopg", "docker",
)  # fmt: skip
#: Where things go inside the image.
APP_DIR = "/opt/fn"
DATA_DIR = "/var/lib/fn"

CONTAINERFILE = f"""\
# The fn-conformance reference server (a full node, process driver, SQLite), built with no
# registry: FROM the local base image, with wheels pip downloaded on the host.
FROM {BASE_IMAGE}
COPY wheels /tmp/wheels
RUN PIP_WHEEL=$(ls /tmp/wheels/pip-*.whl) \\
 && python3 "$PIP_WHEEL/pip" install --quiet --no-index --find-links /tmp/wheels \\
      --break-system-packages -r /tmp/wheels/requirements.txt \\
 && rm -rf /tmp/wheels \\
 && useradd --uid 1000 --user-group --no-create-home --home-dir {DATA_DIR} fn \\
 && mkdir -p {DATA_DIR} && chown fn:fn {DATA_DIR}
COPY app {APP_DIR}
RUN python3 -m compileall -q {APP_DIR}
ENV PYTHONPATH={APP_DIR} \\
    PYTHONDONTWRITEBYTECODE=1 \\
    FN_PORT={PORT} \\
    FN_BIND_ADDRESS=0.0.0.0 \\
    FN_DB_URL=sqlite3://{DATA_DIR}/fn.db \\
    FN_PROCESS_IMAGES_FILE={APP_DIR}/process-images.json
USER fn
WORKDIR {DATA_DIR}
EXPOSE {PORT}
LABEL org.opencontainers.image.title="fn-conformance reference server" \\
      org.opencontainers.image.version="{__version__}"
ENTRYPOINT ["python3", "-m", "reference_impl"]
"""


def server_requirements() -> tuple[str, ...]:
    """The server's dependencies as this installation declares them (versions included)."""
    declared = importlib.metadata.requires("fn-conformance") or []
    wanted = []
    for text in declared:
        req = Requirement(text)
        if req.name.lower() in SERVER_DISTRIBUTIONS:
            extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
            wanted.append(f"{req.name}{extras}{req.specifier}")
    missing = set(SERVER_DISTRIBUTIONS) - {Requirement(w).name.lower() for w in wanted}
    if missing:
        raise BuildError(f"the installation does not declare {', '.join(sorted(missing))}")
    return tuple(dict.fromkeys(wanted))


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)  # located, not imported: the suite never imports it
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(f"the package {name} is not installed here; pip install fn-conformance")
    return Path(next(iter(spec.submodule_search_locations)))


def _copy_app(into: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(_package_dir("reference_impl"), into / "reference_impl", ignore=ignore)
    import fn_runner_protocol  # imported, so its stubs exist (generated on a first import)

    protocol = Path(fn_runner_protocol.__file__).resolve().parent
    shutil.copytree(protocol, into / "fn_runner_protocol", ignore=ignore)
    (into / "probe").mkdir()
    shutil.copy(FUNC, into / "probe" / "func.py")
    shutil.copy(STATUS_FUNC, into / "probe" / "status.py")
    images = {
        PROBE_IMAGE: ["python3", f"{APP_DIR}/probe/func.py"],
        STATUS_IMAGE: ["python3", f"{APP_DIR}/probe/status.py"],
    }
    (into / "process-images.json").write_text(json.dumps(images) + "\n")
    # So that the server reports this version on /version, as an installed one does.
    dist = into / f"fn_conformance-{__version__}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: fn-conformance\nVersion: {__version__}\n"
    )


def build_reference(
    tag: str = REFERENCE_IMAGE, *, save: Path | None = None, client: Any = None
) -> str:
    """Build the reference server's image as ``tag`` (and save it to ``save``); the image id."""
    client = client or engine()
    require_base(client)
    with tempfile.TemporaryDirectory(prefix="fn-reference-build-") as tmp:
        context = Path(tmp)
        requirements = server_requirements()
        download_wheels(context / "wheels", requirements)
        (context / "wheels" / "requirements.txt").write_text("\n".join(requirements) + "\n")
        _copy_app(context / "app")
        (context / "Containerfile").write_text(CONTAINERFILE)
        image_id = build_context(client, context, tag, "the reference server's image")
    if save is not None:
        save_image(client, tag, save)
    return image_id


__all__ = ["PORT", "REFERENCE_IMAGE", "SERVER_DISTRIBUTIONS", "build_reference"]
