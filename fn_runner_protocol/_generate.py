"""Generate the Python stubs of runner.proto with grpcio-tools (at build time, or once in a
source checkout that was never built). Standalone: setup.py loads this file by path."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PROTO = Path("fn_runner_protocol") / "runner.proto"
OUTPUTS = ("runner_pb2.py", "runner_pb2.pyi", "runner_pb2_grpc.py")


def generate(source_root: Path, out_root: Path) -> list[Path]:
    """Compile ``source_root/fn_runner_protocol/runner.proto`` into ``out_root``'s copy of the
    package; the stubs import each other as ``fn_runner_protocol.runner_pb2``."""
    try:
        from grpc_tools import protoc
    except ImportError:
        raise RuntimeError(
            "fn_runner_protocol: the gRPC stubs were never generated and grpcio-tools is not "
            "installed; install the project (pip install -e .) or grpcio-tools"
        ) from None
    include = resources.files("grpc_tools") / "_proto"
    out_dir = out_root / PROTO.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    status = protoc.main([
        "grpc_tools.protoc",
        f"-I{source_root}",
        f"-I{include}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        str(source_root / PROTO),
    ])  # fmt: skip
    if status != 0:
        raise RuntimeError(f"grpc_tools.protoc failed on {source_root / PROTO} ({status})")
    return [out_dir / name for name in OUTPUTS]
