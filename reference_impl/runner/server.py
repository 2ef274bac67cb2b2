"""The runner protocol served over gRPC (grpc.aio) by a pure runner.

Engage: the first message must be a TryCall, then the request body comes as data frames up
to one with eof. The call then runs on the agent, which is non-blocking here: when there is no
room (after asking the evictor) the runner answers a NACK (CallFinished, errorCode 503) and
the LB places the call elsewhere. Otherwise the runner sends the function's status and
headers (CallResultStart), its body in data frames, then CallFinished with the latencies. A
failed call ends with CallFinished(success=false) carrying the error's status and message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc
import grpc.aio
from google.protobuf import empty_pb2, json_format, struct_pb2

from fn_runner_protocol import runner_pb2 as pb
from fn_runner_protocol import runner_pb2_grpc as pb_grpc

from .. import errors
from ..agent import Agent, Call
from ..agent.wire import MAX_DATA_CHUNK, BadModel, call_from_try, latencies
from .status import Counters, StatusEvents, StatusTracker

log = logging.getLogger("reference_impl.runner")


class RunnerService(pb_grpc.RunnerProtocolServicer):
    def __init__(self, agent: Agent, status_image: str, events: StatusEvents | None) -> None:
        self.agent = agent
        self.status_image = status_image
        self.counters = Counters()
        self.tracker = StatusTracker(agent, status_image, self.counters, events)

    async def Engage(
        self, requests: AsyncIterator[pb.ClientMsg], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.RunnerMsg]:
        self.counters.received += 1
        self.counters.active += 1
        busy = False
        try:
            first = await anext(aiter(requests), None)
            if first is None or first.WhichOneof("body") != "try":
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "expected a TryCall first")
                return
            body = bytearray()
            async for message in requests:
                if message.WhichOneof("body") != "data":
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "expected data frames")
                    return
                body += message.data.data
                if message.data.eof:
                    break
            try:
                call = call_from_try(getattr(first, "try"), bytes(body))
            except BadModel as exc:
                yield _finished(None, errors.BadRequest(str(exc)))
                return
            if self.status_image and call.image == self.status_image:
                yield _finished(call, errors.InvalidImage())
                return

            async def disconnected() -> bool:
                return bool(context.cancelled())

            try:
                answer = await self.agent.submit(call, disconnected)
            except errors.TooBusy as exc:
                busy = True
                yield _finished(call, exc)
                return
            except errors.FnError as exc:
                yield _finished(call, exc)
                return
            headers = [pb.HttpHeader(key=k, value=v) for k, v in answer.headers]
            yield pb.RunnerMsg(
                result_start=pb.CallResultStart(
                    http=pb.HttpRespMeta(status_code=answer.status, headers=headers)
                )
            )
            data = bytes(answer.body)
            for i in range(0, len(data), MAX_DATA_CHUNK):
                yield pb.RunnerMsg(data=pb.DataFrame(data=data[i : i + MAX_DATA_CHUNK]))
            yield _finished(call, None)
        finally:
            self.counters.active -= 1
            if not busy:
                self.counters.handled += 1

    async def Status(
        self, request: empty_pb2.Empty, context: grpc.aio.ServicerContext
    ) -> pb.RunnerStatus:
        return await self.tracker.status(b"{}")

    async def Status2(
        self, request: struct_pb2.Struct, context: grpc.aio.ServicerContext
    ) -> pb.RunnerStatus:
        payload = json.dumps(json_format.MessageToDict(request)).encode()
        return await self.tracker.status(payload)

    async def ConfigureRunner(
        self, request: pb.ConfigMsg, context: grpc.aio.ServicerContext
    ) -> pb.ConfigStatus:
        log.info("ConfigureRunner with %d key(s): nothing to configure", len(request.config))
        return pb.ConfigStatus()

    async def StreamLogs(
        self, requests: AsyncIterator[pb.LogRequestMsg], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.LogResponseMsg]:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "this runner streams no logs")
        yield pb.LogResponseMsg()  # pragma: no cover - abort raises


def _finished(call: Call | None, error: errors.FnError | None) -> pb.RunnerMsg:
    finished: dict[str, Any] = {"success": error is None}
    if error is not None:
        finished.update(
            errorCode=error.status,
            errorStr=error.message,
            errorUser=isinstance(error, errors.FunctionFailed | errors.TimedOut),
        )
    if call is not None:
        finished.update(details=call.id, image=call.image, **latencies(call.timing))
    return pb.RunnerMsg(finished=pb.CallFinished(**finished))


class RunnerServer:
    """The gRPC server of a pure runner, started and stopped with the HTTP server."""

    def __init__(self, service: RunnerService, address: str) -> None:
        self.service = service
        self.address = address
        self._server: grpc.aio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = grpc.aio.server()
        pb_grpc.add_RunnerProtocolServicer_to_server(self.service, self._server)  # type: ignore[no-untyped-call]
        self.port = self._server.add_insecure_port(self.address)
        if not self.port:
            raise errors.ConfigError(f"cannot listen on {self.address} (FN_GRPC_PORT)")
        await self._server.start()
        log.info("runner protocol (gRPC) on %s", self.address)

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(grace=1.0)


__all__ = ["RunnerServer", "RunnerService"]
