"""The runner protocol's messages (fn_runner_protocol) to and from the agent's Call.

A placed call travels as upstream's call model in JSON (``TryCall.models_call_json``): id,
image, type, url, method, timeout, idle_timeout, memory (MB), config (merged, with the
contract's variables), annotations, headers (name → list of values), app and fn ids.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fn_runner_protocol import runner_pb2 as pb

from ..ids import new_id
from .call import Call, Timing

#: Largest data frame, in both directions (as upstream).
MAX_DATA_CHUNK = 10 * 1024


def call_to_model(call: Call) -> str:
    headers: dict[str, list[str]] = {}
    for name, value in call.headers:
        headers.setdefault(name, []).append(value)
    config = dict(call.config)
    config.update(
        FN_MEMORY=str(call.memory_mb), FN_TYPE="sync", FN_FN_ID=call.fn_id, FN_APP_ID=call.app_id
    )
    model: dict[str, Any] = {
        "id": call.id,
        "status": "",
        "image": call.image,
        "type": "sync",
        "url": call.url,
        "method": call.method,
        "timeout": call.timeout,
        "idle_timeout": call.idle_timeout,
        "memory": call.memory_mb,
        "config": config,
        "annotations": dict(call.annotations),
        "headers": headers,
        "created_at": datetime_text(call.timing.created_at),
        "app_id": call.app_id,
        "app_name": call.app_name,
        "trigger_id": "",
        "fn_id": call.fn_id,
    }
    if call.syslog_url:
        model["syslog_url"] = call.syslog_url
    return json.dumps(model)


class BadModel(ValueError):
    pass


def call_from_try(try_call: pb.TryCall, body: bytes) -> Call:
    try:
        model = json.loads(try_call.models_call_json)
        if not isinstance(model, dict):
            raise BadModel("the call model is not a JSON object")
        headers = [
            (str(name), str(value))
            for name, values in (model.get("headers") or {}).items()
            for value in (values if isinstance(values, list) else [values])
        ]
        # The LB's slot hash, hex as sent: calls with equal ones may share a container (it is
        # kept as hex: decoding a binary hash to text could make two hashes equal).
        key = try_call.slot_hash_id
        return Call(
            app_id=str(model.get("app_id") or ""),
            fn_id=str(model.get("fn_id") or ""),
            image=str(model["image"]),
            memory_mb=int(model.get("memory") or 0),
            timeout=int(model.get("timeout") or 30),
            idle_timeout=int(model.get("idle_timeout") or 30),
            config={str(k): str(v) for k, v in (model.get("config") or {}).items()},
            method=str(model.get("method") or "POST"),
            headers=headers,
            body=body,
            url=str(model.get("url") or ""),
            app_name=str(model.get("app_name") or ""),
            annotations=dict(model.get("annotations") or {}),
            syslog_url=str(model.get("syslog_url") or ""),
            id=str(model.get("id") or "") or new_id(),
            key=key,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadModel(f"cannot read the placed call: {exc}") from None


def try_message(call: Call) -> pb.ClientMsg:
    message = pb.ClientMsg()
    getattr(message, "try").CopyFrom(  # "try" is a Python keyword
        pb.TryCall(models_call_json=call_to_model(call), slot_hash_id=call.slot_key.encode().hex())
    )
    return message


def body_messages(body: bytes) -> list[pb.ClientMsg]:
    """The request body as data frames; the last (maybe empty) one has eof set."""
    chunks = [body[i : i + MAX_DATA_CHUNK] for i in range(0, len(body), MAX_DATA_CHUNK)] or [b""]
    return [
        pb.ClientMsg(data=pb.DataFrame(data=chunk, eof=i == len(chunks) - 1))
        for i, chunk in enumerate(chunks)
    ]


def datetime_text(moment: dt.datetime | None) -> str:
    """Upstream's timestamp form: RFC 3339 with milliseconds."""
    if moment is None:
        return ""
    return moment.isoformat(timespec="milliseconds")


def nanos(seconds: float) -> int:
    return int(seconds * 1e9)


def latencies(timing: Timing) -> dict[str, Any]:
    """A call's times as CallFinished and RunnerStatus both carry them (same field names)."""
    return {
        "createdAt": datetime_text(timing.created_at),
        "startedAt": datetime_text(timing.started_at),
        "completedAt": datetime_text(timing.completed_at),  # only set once it started
        "schedulerDuration": nanos(timing.scheduling),
        "executionDuration": nanos(timing.execution),
    }


__all__ = [
    "MAX_DATA_CHUNK",
    "BadModel",
    "body_messages",
    "call_from_try",
    "call_to_model",
    "datetime_text",
    "latencies",
    "nanos",
    "try_message",
]
