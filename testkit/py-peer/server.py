# The official Inngest Python SDK (PyPI `inngest`, pinned in requirements.txt) serving app `py` on Flask,
# for the devserver's interop tests (devserver/src/test/java/dev/loomstep/devserver/PySdkInteropTest.java):
# steps, a repeated step id, sleep, waitForEvent, invoke, group.parallel, retries and NonRetriableError, and
# batching, a rate limit, cancel and on_failure.
#
#   .venv/bin/python server.py [--port N]     (0 or absent picks a free port)
#
# Runs in dev mode (INNGEST_DEV=1 unless set): no signature checks. Syncs (PUT) go to
# INNGEST_API_BASE_URL, events sent by steps to INNGEST_EVENT_API_BASE_URL. Prints one ready line on
# stdout once listening:
#   py-peer ready http://127.0.0.1:<port>/api/inngest inngest-py:v<version>
import argparse
import datetime
import importlib.metadata
import logging
import os
import sys
import time

os.environ.setdefault("INNGEST_DEV", "1")

import flask  # noqa: E402
import inngest  # noqa: E402
import inngest.flask  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

client = inngest.Inngest(app_id="py", logger=logging.getLogger("py-peer"))


def on(event: str) -> inngest.TriggerEvent:
    return inngest.TriggerEvent(event=event)


@client.create_function(fn_id="seq", trigger=on("py/seq"))
def seq(ctx: inngest.ContextSync) -> dict:
    a = ctx.step.run("a", lambda: 1)
    b = ctx.step.run("b", lambda: 2)
    ctx.step.sleep("nap", datetime.timedelta(seconds=1))
    again = ctx.step.run("a", lambda: 3)  # a repeated id: hashed as "a:1"
    return {"done": True, "sum": a + b + again}


@client.create_function(fn_id="parallel", trigger=on("py/parallel"))
def parallel(ctx: inngest.ContextSync) -> dict:
    parts = ctx.group.parallel(
        tuple((lambda i=i: ctx.step.run(f"part-{i}", lambda: i * 10)) for i in range(1, 4))
    )
    after = ctx.step.run("after", lambda: sum(parts))
    return {"parts": list(parts), "sum": after}


def slow(value: str) -> str:
    time.sleep(2)
    return value


@client.create_function(fn_id="parallel-race", trigger=on("py/parallel-race"))
def parallel_race(ctx: inngest.ContextSync) -> dict:
    # Race mode: each branch goes on as soon as its own step ends, so branch b's second step runs while
    # branch a's slow step still runs (in wait mode it would wait for it).
    def a() -> list:
        return [ctx.step.run("a1", slow, "a1")]

    def b() -> list:
        return [ctx.step.run("b1", lambda: "b1"), ctx.step.run("b2", lambda: "b2")]

    both = ctx.group.parallel((a, b), parallel_mode=inngest.ParallelMode.RACE)
    return {"a": both[0], "b": both[1]}


@client.create_function(fn_id="parallel-pause", trigger=on("py/parallel-pause"))
def parallel_pause(ctx: inngest.ContextSync) -> dict:
    # Wait mode with a sleep in the group: the run goes on (a2) only once the sleep has ended too.
    def a() -> list:
        return [ctx.step.run("a1", lambda: "a1"), ctx.step.run("a2", lambda: "a2")]

    def b() -> str:
        ctx.step.sleep("b-nap", datetime.timedelta(seconds=1))
        return "b"

    both = ctx.group.parallel((a, b))
    return {"a": both[0], "b": both[1]}


@client.create_function(fn_id="wait", trigger=on("py/wait"))
def wait(ctx: inngest.ContextSync) -> dict:
    got = ctx.step.wait_for_event(
        "w",
        event="py/approve",
        if_exp="event.data.id == async.data.id",
        timeout=datetime.timedelta(hours=1),
    )
    return {"got": None if got is None else {"id": got.id, "name": got.name, "data": got.data}}


@client.create_function(fn_id="wait-quick", trigger=on("py/wait-quick"))
def wait_quick(ctx: inngest.ContextSync) -> dict:
    got = ctx.step.wait_for_event("w", event="py/never", timeout=datetime.timedelta(seconds=1))
    return {"got": got}


@client.create_function(fn_id="child", trigger=on("py/child"))
def child(ctx: inngest.ContextSync) -> dict:
    return {"doubled": ctx.event.data["v"] * 2}


@client.create_function(fn_id="invoke", trigger=on("py/invoke"))
def invoke(ctx: inngest.ContextSync) -> dict:
    result = ctx.step.invoke("call", function=child, data={"v": 21})
    return {"result": result}


@client.create_function(fn_id="failing-child", trigger=on("py/failing-child"), retries=0)
def failing_child(ctx: inngest.ContextSync) -> None:
    raise inngest.NonRetriableError("no stock")


@client.create_function(fn_id="catching-parent", trigger=on("py/catching-parent"))
def catching_parent(ctx: inngest.ContextSync) -> dict:
    try:
        ctx.step.invoke("call", function=failing_child, data={})
        return {"caught": False}
    except inngest.StepError as e:
        return {"caught": True, "name": e.name, "message": e.message}


def fail_until_attempt(ctx: inngest.ContextSync, good: int) -> str:
    if ctx.attempt < good:
        raise RuntimeError(f"flaky on attempt {ctx.attempt}")
    return f"fine on attempt {ctx.attempt}"


@client.create_function(fn_id="flaky", trigger=on("py/flaky"), retries=2)
def flaky(ctx: inngest.ContextSync) -> dict:
    return {"out": ctx.step.run("flaky", lambda: fail_until_attempt(ctx, 2))}


def kaput() -> None:
    raise RuntimeError("kaput")


@client.create_function(fn_id="throws", trigger=on("py/throws"), retries=2)
def throws(ctx: inngest.ContextSync) -> None:
    ctx.step.run("boom", kaput)


def no_way() -> None:
    raise inngest.NonRetriableError("no way")


@client.create_function(fn_id="throws-nonretriable", trigger=on("py/throws-nonretriable"), retries=2)
def throws_nonretriable(ctx: inngest.ContextSync) -> None:
    ctx.step.run("boom", no_way)


@client.create_function(fn_id="catches", trigger=on("py/catches"), retries=1)
def catches(ctx: inngest.ContextSync) -> dict:
    try:
        ctx.step.run("boom", kaput)
        return {"caught": False}
    except inngest.StepError as e:
        after = ctx.step.run("after", lambda: "recovered")
        return {"caught": True, "message": e.message, "after": after}


@client.create_function(fn_id="fn-throws", trigger=on("py/fn-throws"), retries=1)
def fn_throws(ctx: inngest.ContextSync) -> None:
    ctx.step.run("fine", lambda: "ok")
    raise RuntimeError("function kaput")


@client.create_function(fn_id="fn-nonretriable", trigger=on("py/fn-nonretriable"), retries=2)
def fn_nonretriable(ctx: inngest.ContextSync) -> None:
    raise inngest.NonRetriableError("function no way")


@client.create_function(fn_id="send", trigger=on("py/send"))
def send(ctx: inngest.ContextSync) -> dict:
    ids = ctx.step.send_event("two", [inngest.Event(name="py/sent", data={"n": n}) for n in (1, 2)])
    return {"ids": ids}


# Options as the Python SDK syncs them (its own spelling: maxSize, if, durations as "2s"/"1m").


@client.create_function(
    fn_id="batched", trigger=on("py/batched"),
    batch_events=inngest.Batch(max_size=3, timeout=datetime.timedelta(seconds=2), key="event.data.user"),
)
def batched(ctx: inngest.ContextSync) -> dict:
    ns = ctx.step.run("collect", lambda: [e.data["n"] for e in ctx.events])
    return {"size": len(ctx.events), "ns": ns}


@client.create_function(
    fn_id="rate-limited", trigger=on("py/rate-limited"),
    rate_limit=inngest.RateLimit(limit=1, period=datetime.timedelta(minutes=1), key="event.data.user"),
)
def rate_limited(ctx: inngest.ContextSync) -> dict:
    return {"n": ctx.step.run("count", lambda: ctx.event.data["n"])}


@client.create_function(
    fn_id="cancellable", trigger=on("py/cancellable"),
    cancel=[inngest.Cancel(event="py/cancel", if_exp="event.data.id == async.data.id")],
)
def cancellable(ctx: inngest.ContextSync) -> dict:
    ctx.step.sleep("long", datetime.timedelta(hours=1))
    return {"slept": True}


def doomed_failure(ctx: inngest.ContextSync) -> dict:
    # The SDK syncs this as a function of its own, "doomed-failure", on inngest/function.failed.
    error = ctx.event.data["error"]
    return {"handled": error["message"], "failed": ctx.event.data["function_id"]}


@client.create_function(fn_id="doomed", trigger=on("py/doomed"), retries=1, on_failure=doomed_failure)
def doomed(ctx: inngest.ContextSync) -> None:
    ctx.step.run("always", kaput)


FUNCTIONS = [
    seq, parallel, parallel_race, parallel_pause, wait, wait_quick, child, invoke, failing_child, catching_parent,
    flaky, throws, throws_nonretriable, catches, fn_throws, fn_nonretriable, send,
    batched, rate_limited, cancellable, doomed,
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "0")))
    port = parser.parse_args().port
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = flask.Flask("py-peer")
    inngest.flask.serve(app, client, FUNCTIONS)
    server = make_server("127.0.0.1", port, app, threaded=True)
    version = importlib.metadata.version("inngest")
    print(f"py-peer ready http://127.0.0.1:{server.server_port}/api/inngest inngest-py:v{version}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
