"""Fn's runner protocol (LB ↔ pure runner over gRPC): the stubs generated from runner.proto.

Both the reference server (its LB and pure-runner nodes) and the suite (which asks runners for
their Status) use this package; it depends on neither.
"""

from __future__ import annotations

from pathlib import Path

try:
    from . import runner_pb2, runner_pb2_grpc
except ImportError:  # a source checkout that was never built: generate the stubs once
    from ._generate import generate

    _root = Path(__file__).resolve().parent.parent
    generate(_root, _root)
    from . import runner_pb2, runner_pb2_grpc

#: The service's name on the wire (runner.proto has no package).
SERVICE = "RunnerProtocol"

__all__ = ["SERVICE", "runner_pb2", "runner_pb2_grpc"]
