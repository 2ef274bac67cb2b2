"""The suite's status function: what a pure runner runs for Status (FN_STATUS_IMAGE).

It answers JSON ``{"status": "ok", "instance", "pid", "calls", "input"}`` where ``input`` is the
JSON the runner handed it (``{}`` for Status, the request's object for Status2). An input with
``sleep_ms`` makes it wait that long first, so a test can make a status run outlast a client's
deadline.
"""

import asyncio
import json
import os
import uuid

import fdk

INSTANCE = uuid.uuid4().hex
calls = 0


async def handler(ctx, data=None):
    global calls
    calls += 1
    raw = data.getvalue() if data is not None else b""
    try:
        given = json.loads(raw or b"{}")
    except ValueError:
        given = {"unparsed": raw.decode("utf-8", "replace")}
    if isinstance(given, dict) and isinstance(given.get("sleep_ms"), int | float):
        await asyncio.sleep(given["sleep_ms"] / 1000)
    body = {
        "status": "ok",
        "instance": INSTANCE,
        "pid": os.getpid(),
        "calls": calls,
        "input": given,
    }
    return fdk.response.Response(
        ctx, response_data=json.dumps(body), headers={"Content-Type": "application/json"}
    )


def main():
    asyncio.set_event_loop(asyncio.new_event_loop())  # see func.py: uvloop ≥ 0.22 and the FDK
    fdk.handle(fdk.customer_code.Function(os.path.abspath(__file__), "handler"))


if __name__ == "__main__":
    main()
