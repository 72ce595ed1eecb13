# The official Inngest Python SDK (PyPI `inngest`, pinned in requirements.txt) serving app `py-async` on FastAPI
# under uvicorn, every function an asyncio coroutine, for the devserver's PySdkAsyncInteropTest: async steps,
# a repeated step id, sleep and sleep_until, wait_for_event, invoke, group.parallel, retries, StepError,
# NonRetriableError and send_event.
#
#   .venv/bin/python async_server.py [--port N]     (0 or absent picks a free port)
#
# Same environment as server.py (INNGEST_DEV=1 unless set; INNGEST_API_BASE_URL, INNGEST_EVENT_API_BASE_URL).
# INNGEST_STREAMING=force makes the SDK answer every call with 201 and keepalive spaces, then the real status,
# headers and body in a JSON envelope. Prints one ready line on stdout once listening:
#   py-async-peer ready http://127.0.0.1:<port>/api/inngest inngest-py:v<version>
import argparse
import asyncio
import datetime
import importlib.metadata
import logging
import os
import socket
import sys

os.environ.setdefault("INNGEST_DEV", "1")

import fastapi  # noqa: E402
import inngest  # noqa: E402
import inngest.fast_api  # noqa: E402
import uvicorn  # noqa: E402

client = inngest.Inngest(app_id="py-async", logger=logging.getLogger("py-async-peer"))


def on(name: str) -> inngest.TriggerEvent:
    return inngest.TriggerEvent(event=f"pya/{name}")


async def after_a_moment(value: object) -> object:
    await asyncio.sleep(0.05)  # a real await inside the step
    return value


@client.create_function(fn_id="seq", trigger=on("seq"))
async def seq(ctx: inngest.Context) -> dict:
    a = await ctx.step.run("a", after_a_moment, 1)
    b = await ctx.step.run("b", after_a_moment, 2)
    await ctx.step.sleep("nap", datetime.timedelta(seconds=1))
    again = await ctx.step.run("a", after_a_moment, 3)  # a repeated id: hashed as "a:1"
    return {"sum": a + b + again}


@client.create_function(fn_id="sleep-until", trigger=on("sleep-until"))
async def sleep_until(ctx: inngest.Context) -> dict:
    until = datetime.datetime.fromisoformat(ctx.event.data["until"].replace("Z", "+00:00"))
    await ctx.step.sleep_until("wake", until)
    woke = await ctx.step.run("after", after_a_moment, True)
    return {"woke": woke}


@client.create_function(fn_id="parallel", trigger=on("parallel"))
async def parallel(ctx: inngest.Context) -> dict:
    parts = await ctx.group.parallel(
        tuple((lambda i=i: ctx.step.run(f"part-{i}", after_a_moment, i * 10)) for i in range(1, 4))
    )
    total = await ctx.step.run("after", after_a_moment, sum(parts))
    return {"parts": list(parts), "sum": total}


@client.create_function(fn_id="wait", trigger=on("wait"))
async def wait(ctx: inngest.Context) -> dict:
    got = await ctx.step.wait_for_event(
        "w", event="pya/approve", if_exp="event.data.id == async.data.id", timeout=datetime.timedelta(hours=1)
    )
    return {"got": None if got is None else {"id": got.id, "name": got.name, "data": got.data}}


@client.create_function(fn_id="wait-quick", trigger=on("wait-quick"))
async def wait_quick(ctx: inngest.Context) -> dict:
    got = await ctx.step.wait_for_event("w", event="pya/never", timeout=datetime.timedelta(seconds=1))
    return {"got": got}


@client.create_function(fn_id="child", trigger=on("child"))
async def child(ctx: inngest.Context) -> dict:
    return {"doubled": await after_a_moment(ctx.event.data["v"] * 2)}


@client.create_function(fn_id="invoke", trigger=on("invoke"))
async def invoke(ctx: inngest.Context) -> dict:
    return {"result": await ctx.step.invoke("call", function=child, data={"v": 21})}


async def fail_until_attempt(ctx: inngest.Context, good: int) -> str:
    await asyncio.sleep(0.01)
    if ctx.attempt < good:
        raise RuntimeError(f"flaky on attempt {ctx.attempt}")
    return f"fine on attempt {ctx.attempt}"


@client.create_function(fn_id="flaky", trigger=on("flaky"), retries=2)
async def flaky(ctx: inngest.Context) -> dict:
    return {"out": await ctx.step.run("flaky", fail_until_attempt, ctx, 2)}


async def kaput() -> None:
    await asyncio.sleep(0.01)
    raise RuntimeError("kaput")


@client.create_function(fn_id="catches", trigger=on("catches"), retries=1)
async def catches(ctx: inngest.Context) -> dict:
    try:
        await ctx.step.run("boom", kaput)
        return {"caught": False}
    except inngest.StepError as e:
        after = await ctx.step.run("after", after_a_moment, "recovered")
        return {"caught": True, "message": e.message, "after": after}


@client.create_function(fn_id="fn-nonretriable", trigger=on("fn-nonretriable"), retries=2)
async def fn_nonretriable(ctx: inngest.Context) -> None:
    await ctx.step.run("fine", after_a_moment, "ok")
    raise inngest.NonRetriableError("function no way")


@client.create_function(fn_id="send", trigger=on("send"))
async def send(ctx: inngest.Context) -> dict:
    ids = await ctx.step.send_event("two", [inngest.Event(name="pya/sent", data={"n": n}) for n in (1, 2)])
    return {"ids": ids}


FUNCTIONS = [seq, sleep_until, parallel, wait, wait_quick, child, invoke, flaky, catches, fn_nonretriable, send]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "0")))
    port = parser.parse_args().port
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = fastapi.FastAPI()
    inngest.fast_api.serve(app, client, FUNCTIONS)
    # Bind first, so that the ready line can name the port the OS picked.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    version = importlib.metadata.version("inngest")
    print(f"py-async-peer ready http://127.0.0.1:{sock.getsockname()[1]}/api/inngest inngest-py:v{version}", flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
