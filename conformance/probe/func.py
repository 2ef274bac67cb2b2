"""The suite's probe function, written with the Python FDK (the `fdk` package).

Each request chooses what it does with the ``X-Probe`` header, a query string:

* (nothing): echo the body back, with the request's Content-Type;
* ``sleep_ms=N``: wait N ms first;  ``crash=1``: exit in the middle of the call;
* ``status=N``: answer HTTP status N to the trigger's client (``Fn-Http-Status``);
* ``fdk_status=502`` or ``504``: answer the agent with that status itself;
* ``header=Name:Value`` (repeatable): add a response header;  ``bytes=N``: answer N bytes;
* ``report=1``: answer JSON about itself and the request (environment, instance, pid, calls,
  the headers it received, method, URL, deadline).

Every answer carries ``X-Probe-Instance`` (unique per process), ``X-Probe-Pid`` and
``X-Probe-Calls`` (calls this instance has served, this one included).

How it starts is chosen by the fn's config ``PROBE_START``: ``exit`` (exit before listening),
``hang`` (never listen), ``slow:MS`` (listen after MS ms); anything else starts at once.
"""

import asyncio
import json
import os
import socket
import sys
import time
import uuid
from urllib.parse import parse_qsl

import fdk
from fdk import customer_code, response

INSTANCE = uuid.uuid4().hex
STARTED = time.time()
calls = 0


async def handler(ctx, data=None):
    global calls
    calls += 1
    headers = ctx.Headers()  # the FDK gives lower-case names
    asked = headers.get("x-probe")
    spec = parse_qsl(_first(asked), keep_blank_values=True) if asked else []
    options = dict(spec)
    if "sleep_ms" in options:
        # Asleep without blocking the FDK's loop: were the agent to send this container a
        # second call meanwhile, the FDK would run it at once (and FN-HOT-002 would see it).
        await asyncio.sleep(int(options["sleep_ms"]) / 1000)
    if options.get("crash"):
        sys.stdout.flush()
        os._exit(3)
    body = data.getvalue() if data is not None else b""
    out_headers = {
        "X-Probe-Instance": INSTANCE,
        "X-Probe-Pid": str(os.getpid()),
        "X-Probe-Calls": str(calls),
    }
    content_type = headers.get("content-type")
    if content_type:
        out_headers["Content-Type"] = _first(content_type)
    for key, value in spec:
        if key == "header" and ":" in value:
            name, _, text = value.partition(":")
            out_headers[name] = text
    if "bytes" in options:
        body = b"x" * int(options["bytes"])
    if options.get("report"):
        out_headers["Content-Type"] = "application/json"
        body = json.dumps(_report(ctx, headers)).encode()
    status = 200
    gateway = headers.get("fn-intent") == "httprequest"
    if "status" in options:
        status = int(options["status"])
        if not gateway:  # /invoke: the header passes through as it is
            out_headers["Fn-Http-Status"] = str(status)
    if "fdk_status" in options:
        status = int(options["fdk_status"])
    return response.Response(ctx, response_data=body, headers=out_headers, status_code=status)


def _first(value):
    return value[0] if isinstance(value, list) else value


def _report(ctx, headers):
    return {
        "instance": INSTANCE,
        "pid": os.getpid(),
        "hostname": socket.gethostname(),
        "calls": calls,
        "started": STARTED,
        "env": dict(os.environ),
        "headers": headers,
        "http_headers": {k.lower(): v for k, v in ctx.HTTPHeaders().items()},
        "method": ctx.Method(),
        "request_url": ctx.RequestURL(),
        "deadline": ctx.Deadline(),
        "call_id": ctx.CallID(),
        "uid": os.getuid(),
        "cwd": os.getcwd(),
    }


def main():
    start = os.environ.get("PROBE_START", "")
    if start == "exit":
        sys.exit(4)
    if start == "hang":
        while True:
            time.sleep(3600)
    if start.startswith("slow:"):
        time.sleep(int(start[5:]) / 1000)
    # fdk.handle asks for the current event loop; with uvloop 0.22 or later installed (the
    # FDK uses it when it can) there is none until one is set.
    asyncio.set_event_loop(asyncio.new_event_loop())
    fdk.handle(customer_code.Function(os.path.abspath(__file__), "handler"))


if __name__ == "__main__":
    main()
