// The official Inngest JS SDK (npm `inngest`, pinned in package.json) serving reference functions.
// Loomstep's tests call it over HTTP and compare its answers with the engine's: it is our record of
// what a real SDK puts on the wire. Every function here has a Java twin with the same function id and
// step ids (engine/src/test/java/dev/loomstep/JsSdkDifferentialTest.java).
//
//   node server.js [--port N]     (or PORT=N; 0 or absent picks a free port)
//
// Runs in dev mode (INNGEST_DEV=1 unless set): no signature checks. Events sent by `send` go to
// INNGEST_EVENT_API_BASE_URL (default: the dev server at localhost:8288); syncs (PUT) go to
// INNGEST_API_BASE_URL. Prints one ready line on stdout once listening:
//   js-peer ready http://127.0.0.1:<port>/api/inngest inngest-js:v<version>
"use strict";

process.env.INNGEST_DEV = process.env.INNGEST_DEV || "1";

const express = require("express");
const { Inngest, NonRetriableError, RetryAfterError, referenceFunction, version } = require("inngest");
const { serve } = require("inngest/express");

// PEER_CHECKPOINTING=off turns the SDK's checkpointing off (client option `checkpointing: false`); by
// default it stays on, as in JS 4.x, and is used whenever the executor's call allows it.
const clientOptions = process.env.PEER_CHECKPOINTING === "off" ? { checkpointing: false } : {};

const inngest = new Inngest({ id: "peer", ...clientOptions });

const on = (event) => [{ event }];

const seq = inngest.createFunction({ id: "seq", triggers: on("peer/seq") }, async ({ step }) => {
  const a = await step.run("a", () => 1);
  const b = await step.run("b", () => 2);
  await step.sleep("nap", "1s");
  const again = await step.run("a", () => 3); // a repeated id: hashed as "a:1"
  return { done: true, sum: a + b + again };
});

const sleepUntil = inngest.createFunction({ id: "sleep-until", triggers: on("peer/sleep-until") }, async ({ step }) => {
  await step.sleepUntil("wake", new Date("2030-01-01T00:00:00Z"));
  return { woke: true };
});

const wait = inngest.createFunction({ id: "wait", triggers: on("peer/wait") }, async ({ step }) => {
  const got = await step.waitForEvent("w", {
    event: "peer/approve",
    timeout: "1h",
    if: "event.data.id == async.data.id",
  });
  return { got };
});

// The legacy `match` form, to show how the SDK turns it into an `if` expression.
const waitMatch = inngest.createFunction({ id: "wait-match", triggers: on("peer/wait-match") }, async ({ step }) => {
  const got = await step.waitForEvent("w", { event: "peer/approve", timeout: "90m", match: "data.id" });
  return { got };
});

const child = inngest.createFunction({ id: "child", triggers: on("peer/child") }, async ({ event }) => {
  return { doubled: event.data.v * 2 };
});

const invoke = inngest.createFunction({ id: "invoke", triggers: on("peer/invoke") }, async ({ step }) => {
  const result = await step.invoke("call-child", { function: child, data: { v: 21 }, timeout: "1m" });
  return { result };
});

const send = inngest.createFunction({ id: "send", triggers: on("peer/send") }, async ({ step }) => {
  const one = await step.sendEvent("send-it", { name: "peer/sent", data: { n: 1 } });
  const two = await step.sendEvent("send-two", [
    { name: "peer/sent", data: { n: 2 } },
    { name: "peer/sent", data: { n: 3 } },
  ]);
  return { one, two };
});

const fanout = inngest.createFunction({ id: "fanout", triggers: on("peer/fanout") }, async ({ step }) => {
  const parts = await Promise.all([
    step.run("p1", () => 1),
    step.run("p2", () => 2),
    step.run("p3", () => 3),
  ]);
  return { sum: parts.reduce((x, y) => x + y, 0) };
});

// A fan-out mixing every kind of step: all four are new at once, so all are reported in one 206.
const mixed = inngest.createFunction({ id: "mixed", triggers: on("peer/mixed") }, async ({ step }) => {
  const [ran, slept, got, result] = await Promise.all([
    step.run("m-run", () => 1),
    step.sleep("m-nap", "30s"),
    step.waitForEvent("m-wait", { event: "peer/mixed-ok", timeout: "5m", if: "event.data.id == async.data.id" }),
    step.invoke("m-call", { function: child, data: { v: 2 }, timeout: "10m" }),
  ]);
  return { ran, slept: slept ?? null, got, result };
});

const throws = inngest.createFunction({ id: "throws", retries: 2, triggers: on("peer/throws") }, async ({ step }) => {
  await step.run("boom", () => {
    throw new Error("kaput");
  });
  return { unreachable: true };
});

const throwsNonRetriable = inngest.createFunction(
  { id: "throws-nonretriable", retries: 2, triggers: on("peer/throws-nonretriable") },
  async ({ step }) => {
    await step.run("boom", () => {
      throw new NonRetriableError("no way");
    });
    return { unreachable: true };
  },
);

// A step error with a cause, to show how the cause chain is serialised.
const throwsCause = inngest.createFunction({ id: "throws-cause", triggers: on("peer/throws-cause") }, async ({ step }) => {
  await step.run("boom", () => {
    throw new Error("outer", { cause: new Error("inner") });
  });
  return { unreachable: true };
});

// A memoized step error the function catches: what the user sees, and that the run goes on.
const catches = inngest.createFunction({ id: "catches", triggers: on("peer/catches") }, async ({ step }) => {
  try {
    await step.run("boom", () => {
      throw new Error("kaput");
    });
    return { caught: false };
  } catch (err) {
    const after = await step.run("after", () => "recovered");
    return { caught: true, name: err.name, message: err.message, after };
  }
});

const returns = inngest.createFunction({ id: "returns", triggers: on("peer/returns") }, async ({ event }) => {
  return { ok: true, n: 42, echo: event.data };
});

// Errors thrown by the function body itself (not inside a step).
const fnThrows = inngest.createFunction({ id: "fn-throws", triggers: on("peer/fn-throws") }, async () => {
  throw new Error("function kaput");
});

const fnNonRetriable = inngest.createFunction({ id: "fn-nonretriable", triggers: on("peer/fn-nonretriable") }, async () => {
  throw new NonRetriableError("function no way");
});

// Retry-After: a step asking for a delay in seconds, and a function asking for an instant.
const retryAfter = inngest.createFunction({ id: "retry-after", triggers: on("peer/retry-after") }, async ({ step }) => {
  await step.run("boom", () => {
    throw new RetryAfterError("slow down", "30s");
  });
  return { unreachable: true };
});

const fnRetryAfter = inngest.createFunction({ id: "fn-retry-after", triggers: on("peer/fn-retry-after") }, async () => {
  throw new RetryAfterError("later", new Date("2030-01-01T00:00:00Z"));
});

// A function with an onFailure handler and flow control, to show the sync config JS produces.
const configured = inngest.createFunction(
  {
    id: "configured",
    name: "Configured function",
    retries: 0,
    triggers: [{ event: "peer/configured", if: "event.data.ok == true" }, { cron: "0 9 * * MON" }],
    concurrency: { limit: 2, key: "event.data.id" },
    onFailure: async () => "handled",
  },
  async () => "ran",
);

// Every flow-control option of the JS SDK's function config, to pin how each is written at sync.
// Periods are written here in the canonical form (largest units first) since JS passes them through as
// given; cancelOn's timeout is the one JS re-formats itself. Never called by the differential cases.
const flow = inngest.createFunction(
  {
    id: "flow",
    name: "Flow control",
    retries: 5,
    triggers: [{ event: "peer/flow", if: "event.data.go == true" }, { cron: "TZ=Europe/Paris 0 9 * * MON", jitter: "30s" }],
    rateLimit: { limit: 10, period: "1m", key: "event.data.user" },
    throttle: { limit: 3, period: "1h30m", burst: 2, key: "event.data.user" },
    debounce: { period: "5s", key: "event.data.user", timeout: "2m" },
    cancelOn: [
      { event: "peer/flow-cancel", if: "event.data.id == async.data.id", timeout: "1d" },
      { event: "peer/flow-stop" },
      // `match` is synced as the `if` it stands for; a 1500 ms timeout as whole seconds ("1s").
      { event: "peer/flow-refund", match: "data.order", timeout: 1500 },
    ],
    priority: { run: "event.data.vip ? 120 : 0" },
    idempotency: "event.data.order",
    timeouts: { start: "30s", finish: "2h" },
    singleton: { key: "event.data.user", mode: "cancel" },
    concurrency: [
      { limit: 4, key: "event.data.user", scope: "fn" },
      { limit: 20, key: "event.data.region", scope: "env" },
    ],
    onFailure: async () => "flow failed",
  },
  async () => "flowed",
);

// Batching (which Inngest does not combine with the options above), concurrency in its number form, a
// singleton without key, and only one of the timeouts.
const flowBatch = inngest.createFunction(
  {
    id: "flow-batch",
    triggers: on("peer/flow-batch"),
    batchEvents: { maxSize: 50, timeout: "10s", key: "event.data.user", if: "event.data.batch == true" },
    concurrency: 5,
    singleton: { mode: "skip" },
    timeouts: { finish: "1w" },
  },
  async ({ events }) => ({ count: events.length }),
);

// step.fetch: the executor makes the request (a Gateway op); JS names the step "step.fetch: {host}".
// Nothing is fetched here: the differential cases memoize the responses.
const fetches = inngest.createFunction({ id: "fetch", triggers: on("peer/fetch") }, async ({ step }) => {
  const res = await step.fetch("http://shop.test:8080/orders?x=1", {
    method: "POST",
    headers: { "X-Trace": "t1", "Content-Type": "application/json" },
    body: JSON.stringify({ id: "o1", qty: 2 }),
  });
  const ping = await step.fetch("http://status.test/ping");
  return { status: res.status, order: await res.json(), ping: await ping.text(), pingStatus: ping.status };
});

// step.fetch with a mixed-case host and a lower-case method: JS names the step after the lower-cased
// hostname and sends the method as typed (Loomstep upper-cases it; see engine/README.md).
const fetchCase = inngest.createFunction({ id: "fetch-case", triggers: on("peer/fetch-case") }, async ({ step }) => {
  const res = await step.fetch("http://Shop.TEST/Orders", { method: "post", body: "{}" });
  return { status: res.status };
});

// step.ai.infer with each provider format the JS SDK has (an AIGateway op each), then step.ai.wrap.
const ai = inngest.createFunction({ id: "ai", triggers: on("peer/ai") }, async ({ step }) => {
  const { openai, anthropic, gemini } = step.ai.models;
  const gpt = await step.ai.infer("gpt", {
    model: openai({ model: "gpt-4o-mini", apiKey: "sk-peer", baseUrl: "http://llm.test/v1" }),
    body: { messages: [{ role: "user", content: "hi" }] },
  });
  const claude = await step.ai.infer("claude", {
    model: anthropic({ model: "claude-3-5-haiku-latest", apiKey: "ak-peer", baseUrl: "http://llm.test/v1/", betaHeaders: ["b1", "b2"] }),
    body: { max_tokens: 64, messages: [{ role: "user", content: "hi" }] },
  });
  const gem = await step.ai.infer("gemini", {
    model: gemini({ model: "gemini-1.5-flash", apiKey: "gk-peer", baseUrl: "http://llm.test/v1beta" }),
    body: { contents: [{ role: "user", parts: [{ text: "hi" }] }] },
  });
  const shout = await step.ai.wrap("shout", (text) => text.toUpperCase(), gpt.choices[0].message.content);
  return {
    gpt: gpt.choices[0].message.content,
    claude: claude.content[0].text,
    gemini: gem.candidates[0].content.parts[0].text,
    shout,
  };
});

// Durable waits under or between whole seconds (500 ms, 1.5 s, 250 ms, 1.5 s): how JS rounds them on
// the wire; and an invoke by a local function id (referenceFunction), which JS prefixes with the app id.
const subsecond = inngest.createFunction({ id: "subsecond", triggers: on("peer/subsecond") }, async ({ step }) => {
  const [, , got, result] = await Promise.all([
    step.sleep("half", 500),
    step.sleep("one-and-a-half", 1500),
    step.waitForEvent("w", { event: "peer/never", timeout: 250 }),
    step.invoke("call", { function: referenceFunction({ functionId: "child" }), data: { v: 1 }, timeout: 1500 }),
  ]);
  return { got, result };
});

// Promise.all fails at once: when "b" failed for good, the other branch's next step is never planned.
const failFast = inngest.createFunction({ id: "fail-fast", triggers: on("peer/fail-fast") }, async ({ step }) => {
  const [a, b] = await Promise.all([
    (async () => {
      const x = await step.run("a1", () => 1);
      return step.run("a2", () => x + 1);
    })(),
    step.run("b", () => 2),
  ]);
  return { a, b };
});

// Race mode (group.parallel): the step the executor saw finish first wins; every op carries parallelMode.
const race = inngest.createFunction({ id: "race", triggers: on("peer/race") }, async ({ step, group }) => {
  const winner = await group.parallel({ mode: "race" }, () =>
    Promise.race([step.run("fast", () => "fast"), step.run("slow", () => "slow")]),
  );
  const after = await step.run("after", () => `won by ${winner}`);
  return { winner, after };
});

// A race against a deadline: a wait and a sleep in race mode, returning as soon as one ends.
const raceTimeout = inngest.createFunction({ id: "race-timeout", triggers: on("peer/race-timeout") }, async ({ step, group }) => {
  const outcome = await group.parallel({ mode: "race" }, () =>
    Promise.race([
      step.waitForEvent("approval", { event: "peer/approve", timeout: "1h" }).then((e) => (e ? "approved" : "no answer")),
      step.sleep("deadline", "30m").then(() => "deadline"),
    ]),
  );
  return { outcome };
});

// Signals: wait for one (its data, or null on timeout), and send one from a step.
const signalWait = inngest.createFunction({ id: "signal-wait", triggers: on("peer/signal-wait") }, async ({ step }) => {
  const got = await step.waitForSignal("approval", { signal: "peer/approve-1", timeout: "1h" });
  return { got: got === null ? null : got.data };
});
const signalSend = inngest.createFunction({ id: "signal-send", triggers: on("peer/signal-send") }, async ({ step }) => {
  const sent = await step.sendSignal("tell", { signal: "peer/approve-1", data: { ok: true } });
  return { runId: sent.runId ?? null };
});

// Zero and negative durations (a deadline already passed): JS sends "" for each, where Loomstep sends "0s"
// (see engine/README.md); a negative one must not fail the call.
const durations = inngest.createFunction({ id: "durations", triggers: on("peer/durations") }, async ({ step }) => {
  const [, , got, signal, result] = await Promise.all([
    step.sleep("zero", 0),
    step.sleep("negative", -5000),
    step.waitForEvent("w-negative", { event: "peer/never", timeout: -5000 }),
    step.waitForSignal("s-zero", { signal: "peer/s-zero", timeout: 0 }),
    step.invoke("i-negative", { function: referenceFunction({ functionId: "child" }), data: { v: 1 }, timeout: -5000 }),
  ]);
  return { got, signal, result };
});

// Defers (JS 4.4+, experimental createDefer): two runs of `receipt` to start after this run; the second is
// aborted once a step says so. DeferAdd/DeferAbort ride on the next message; the executor's `defers` map
// says which it already holds.
const { createDefer } = require("inngest/experimental");
const receiptLater = createDefer(inngest, { id: "receipt" }, async ({ event }) => ({ order: event.data.order }));
const defers = inngest.createFunction({ id: "defers", triggers: on("peer/defers") }, async ({ event, step, defer }) => {
  defer("receipt", { function: receiptLater, data: { order: event.data.id } });
  const maybe = defer("maybe", { function: receiptLater, data: { order: "maybe" } });
  const keep = await step.run("check", () => false);
  if (!keep) maybe.abort();
  return { keep };
});

const functions = [
  defers, receiptLater, durations, fetchCase, subsecond, seq, sleepUntil, wait, waitMatch, child, invoke, send, fanout, throws, throwsNonRetriable, throwsCause,
  catches, returns, fnThrows, fnNonRetriable, retryAfter, fnRetryAfter, configured, flow, flowBatch, mixed,
  fetches, ai, failFast, race, signalWait, signalSend, raceTimeout,
];

// A second app, `e2e`, served at /api/e2e: end-to-end scenarios for the devserver
// (devserver/src/test/java/dev/loomstep/devserver/JsSdkInteropTest.java). It is a separate app so the
// `peer` app above, which the engine's and http-adapter's differential tests compare function by
// function with their Java twins, stays as it is.
const e2e = new Inngest({ id: "e2e", ...clientOptions });

// waitForEvent that nobody answers: JS gets null after the (shortest JS can say) 1 s timeout.
const waitQuick = e2e.createFunction({ id: "wait-quick", triggers: on("e2e/wait-quick") }, async ({ step }) => {
  const got = await step.waitForEvent("w", { event: "e2e/never", timeout: "1s" });
  return { got };
});

// Throws on the first two attempts (the executor's ctx.attempt), then succeeds.
const flaky = e2e.createFunction({ id: "flaky", retries: 3, triggers: on("e2e/flaky") }, async ({ step, attempt }) => {
  const out = await step.run("a", () => {
    if (attempt < 2) {
      throw new Error(`boom ${attempt}`);
    }
    return `fine on attempt ${attempt}`;
  });
  return { out };
});

// Fails for good after retries: 1 (two attempts); its onFailure handler gets the error.
const doomed = e2e.createFunction(
  {
    id: "doomed",
    retries: 1,
    triggers: on("e2e/doomed"),
    onFailure: async ({ error, event }) => ({ handled: error.message, failed: event.data.function_id }),
  },
  async ({ step }) => {
    await step.run("a", () => {
      throw new Error("always");
    });
  },
);

// Sleeps an hour unless cancelled: by REST, or by an e2e/cancel event with the same data.id.
const cancellable = e2e.createFunction(
  {
    id: "cancellable",
    triggers: on("e2e/cancellable"),
    cancelOn: [{ event: "e2e/cancel", if: "event.data.id == async.data.id" }],
  },
  async ({ step }) => {
    await step.sleep("nap", "1h");
    return { woke: true };
  },
);

const fanout100 = e2e.createFunction({ id: "fanout-100", triggers: on("e2e/fanout-100") }, async ({ step }) => {
  const parts = await Promise.all(Array.from({ length: 100 }, (_, i) => step.run(`s${i}`, () => i)));
  return { sum: parts.reduce((x, y) => x + y, 0), count: parts.length };
});

const hourly = e2e.createFunction({ id: "hourly", triggers: [{ cron: "0 * * * *" }] }, async ({ event, step }) => {
  const cron = await step.run("tick", () => event.data.cron);
  return { name: event.name, cron };
});

// devserver's CrashRecoveryIT kills the devserver while this runs: five steps (s2 and s4 take 300 ms)
// around a 2 s sleep. Each step body tells PEER_PROBE_URL (when set) that it starts and ends, and waits
// for the answer, so the test counts every execution and knows what runs when it kills.
const probe = async (what, runId, name) => {
  if (process.env.PEER_PROBE_URL) {
    await fetch(`${process.env.PEER_PROBE_URL}?what=${what}&run=${runId}&step=${name}`, { method: "POST" });
  }
};
const crash = e2e.createFunction({ id: "crash", triggers: on("e2e/crash") }, async ({ event, step, runId }) => {
  let acc = event.data.n;
  for (let i = 1; i <= 5; i++) {
    if (i === 3) {
      await step.sleep("nap", "2s");
    }
    const prev = acc;
    acc = await step.run(`s${i}`, async () => {
      await probe("start", runId, `s${i}`);
      await new Promise((resolve) => setTimeout(resolve, i % 2 === 0 ? 300 : 20));
      await probe("end", runId, `s${i}`);
      return prev * 2 + i;
    });
  }
  return { result: acc };
});

const e2eFunctions = [waitQuick, flaky, doomed, cancellable, fanout100, hourly, crash];

// Invoke: a child that fails for good, and one that outlives the parent's 1 s invoke timeout; each
// parent catches what step.invoke throws and returns its name and message.
const failingChild = e2e.createFunction({ id: "failing-child", retries: 0, triggers: on("e2e/failing-child") }, async ({ event }) => {
  throw new NonRetriableError(`no stock for ${event.data.sku}`);
});
const slowChild = e2e.createFunction({ id: "slow-child", triggers: on("e2e/slow-child") }, async ({ step }) => {
  await step.sleep("forever", "7d");
  return "too late";
});
const invokeCatching = (id, child, opts) =>
  e2e.createFunction({ id, triggers: on(`e2e/${id}`) }, async ({ step }) => {
    try {
      return { ok: await step.invoke("call", { function: child, ...opts }) };
    } catch (err) {
      return { caught: true, name: err.name, message: err.message };
    }
  });
e2eFunctions.push(
  failingChild, slowChild,
  invokeCatching("catching-parent", failingChild, { data: { sku: "x1" } }),
  invokeCatching("impatient-parent", slowChild, { data: {}, timeout: "1s" }),
);

// step.fetch and step.ai against the fake providers of testkit's FakeModelProviders (PEER_FAKES_ORIGIN),
// for devserver/src/test/java/dev/loomstep/devserver/JsSdkGatewayInteropTest.java.
const fakes = () => process.env.PEER_FAKES_ORIGIN || "http://127.0.0.1:9";
const gwFetch = e2e.createFunction({ id: "gw-fetch", retries: 2, triggers: on("e2e/gw-fetch") }, async ({ event, step }) => {
  try {
    const res = await step.fetch(fakes() + event.data.path, {
      method: "POST",
      headers: { "X-Trace": "t-1", "Content-Type": "application/json" },
      body: JSON.stringify({ q: 1 }),
    });
    return { status: res.status, echo: res.ok ? await res.json() : null, xEcho: res.headers.get("x-echo") };
  } catch (err) {
    return { failed: err.message };
  }
});
const gwAsk = e2e.createFunction({ id: "gw-ask", retries: 2, triggers: on("e2e/gw-ask") }, async ({ event, step }) => {
  const { openai, anthropic, gemini } = step.ai.models;
  const q = event.data.q;
  const gpt = await step.ai.infer("gpt", {
    model: openai({ model: "gpt-4o-mini", apiKey: "test-key", baseUrl: fakes() + "/openai/v1/" }),
    body: { messages: [{ role: "user", content: q }] },
  });
  const claude = await step.ai.infer("claude", {
    model: anthropic({ model: "claude-3-5-haiku-latest", apiKey: "test-key", baseUrl: fakes() + "/anthropic/v1/" }),
    body: { max_tokens: 64, messages: [{ role: "user", content: q }] },
  });
  const gem = await step.ai.infer("gemini", {
    model: gemini({ model: "gemini-1.5-flash", apiKey: "test-key", baseUrl: fakes() + "/gemini/v1beta/" }),
    body: { contents: [{ role: "user", parts: [{ text: q }] }] },
  });
  const shout = await step.ai.wrap("shout", (text) => text.toUpperCase(), gpt.choices[0].message.content);
  return {
    gpt: gpt.choices[0].message.content,
    claude: claude.content[0].text,
    gemini: gem.candidates[0].content.parts[0].text,
    shout,
  };
});
e2eFunctions.push(gwFetch, gwAsk);

// Options the JS SDK rewrites before they reach the executor: a sub-second sleep (sent as "1s"), an invoke
// by a local function id (referenceFunction: sent as e2e-doubler), cancelOn `match` (synced as `if`), and a
// cron `jitter` (synced as given). devserver's JsSdkConfigOptionsInteropTest drives them.
const doubler = e2e.createFunction({ id: "doubler", triggers: on("e2e/doubler") }, async ({ event }) => event.data.v * 2);
const refParent = e2e.createFunction({ id: "ref-parent", triggers: on("e2e/ref-parent") }, async ({ step }) => {
  await step.sleep("nap", 300);
  return step.invoke("call", { function: referenceFunction({ functionId: "doubler" }), data: { v: 21 }, timeout: "1m" });
});
const matchCancel = e2e.createFunction(
  { id: "match-cancel", triggers: on("e2e/order"), cancelOn: [{ event: "e2e/refund", match: "data.order" }] },
  async ({ step }) => {
    await step.sleep("ship-later", "7d");
    return "shipped";
  },
);
const jittered = e2e.createFunction({ id: "jittered", triggers: [{ cron: "30 * * * *", jitter: "20m" }] }, async ({ event }) => event.data.cron);
e2eFunctions.push(doubler, refParent, matchCancel, jittered);

// Inngest's size limits (devserver's JsSdkBigStateInteropTest): `chunks` steps of just under 4 MiB each (8
// make a 32 MiB state, which the executor can only send with use_api; 9 overflow it), and a step over 4 MiB.
const CHUNK = 4 * 1024 * 1024 - 1024;
const hoard = e2e.createFunction({ id: "hoard", retries: 0, triggers: on("e2e/hoard") }, async ({ event, step }) => {
  let total = 0;
  for (let i = 0; i < event.data.chunks; i++) {
    total += (await step.run(`chunk-${i}`, () => String.fromCharCode(97 + i).repeat(CHUNK))).length;
  }
  return total;
});
const tooBig = e2e.createFunction({ id: "too-big", retries: 0, triggers: on("e2e/too-big") }, async ({ step }) => {
  return (await step.run("blob", () => "x".repeat(4 * 1024 * 1024))).length;
});
e2eFunctions.push(hoard, tooBig);

// Signals, race and fail-fast (devserver/src/test/java/dev/loomstep/devserver/JsSdkSignalsAndRaceTest.java).
const signalWaitE2e = e2e.createFunction({ id: "signal-wait", triggers: on("e2e/signal-wait") }, async ({ event, step }) => {
  const got = await step.waitForSignal("approval", {
    signal: `e2e/approve-${event.data.id}`,
    timeout: event.data.quick ? "1s" : "1m",
  });
  return { got };
});
const signalSendE2e = e2e.createFunction({ id: "signal-send", triggers: on("e2e/signal-send") }, async ({ event, step }) => {
  const sent = await step.sendSignal("tell", { signal: `e2e/approve-${event.data.id}`, data: { by: "js" } });
  return { runId: sent.runId ?? null };
});
// JS resolves a race only while its function goes on to a next step: with nothing after the race it may
// report the loser's pending op again instead of returning (then the run ends when the loser does).
const raceE2e = e2e.createFunction({ id: "race", triggers: on("e2e/race") }, async ({ step, group }) => {
  const winner = await group.parallel({ mode: "race" }, () =>
    Promise.race([
      step.run("fast", () => "fast"),
      step.run("slow", () => new Promise((resolve) => setTimeout(() => resolve("slow"), 1500))),
    ]),
  );
  const after = await step.run("after", () => `won by ${winner}`);
  return { winner, after };
});
const failFastE2e = e2e.createFunction({ id: "fail-fast", retries: 0, triggers: on("e2e/fail-fast") }, async ({ step }) => {
  await Promise.all([
    (async () => {
      await step.run("a1", () => new Promise((resolve) => setTimeout(() => resolve(1), 1500)));
      return step.run("a2", () => 2);
    })(),
    step.run("b", () => {
      throw new NonRetriableError("b is broken");
    }),
  ]);
  return "unreachable";
});
e2eFunctions.push(signalWaitE2e, signalSendE2e, raceE2e, failFastE2e);

// With PEER_ENCRYPTION_KEY set, the e2e app also has functions that use @inngest/middleware-encryption
// (function-level, so the other functions stay plain), for the devserver's JsSdkEncryptionInteropTest.
if (process.env.PEER_ENCRYPTION_KEY) {
  const { encryptionMiddleware } = require("@inngest/middleware-encryption");
  const encryption = encryptionMiddleware({ key: process.env.PEER_ENCRYPTION_KEY });
  // Invoked by a Loomstep function with {encrypted: {card}}: a step and the result, both encrypted.
  const encCard = e2e.createFunction(
    { id: "enc-card", middleware: [encryption], triggers: on("e2e/enc-card") },
    async ({ event, step }) => {
      const last4 = await step.run("last4", () => event.data.encrypted.card.slice(-4));
      return { last4, plain: event.data.orderId };
    },
  );
  // Sends an event whose data.encrypted a Loomstep function reads.
  const encSend = e2e.createFunction(
    { id: "enc-send", middleware: [encryption], triggers: on("e2e/enc-send") },
    async ({ event, step }) => {
      await step.sendEvent("tell", { name: "ls/enc-told", data: { encrypted: { secret: event.data.secret }, n: 1 } });
      return "sent";
    },
  );
  // Invokes the Loomstep function ls-echo-card with {encrypted: {card}}; returns what it answered.
  const encInvoke = e2e.createFunction(
    { id: "enc-invoke", middleware: [encryption], triggers: on("e2e/enc-invoke") },
    async ({ event, step }) => {
      const answer = await step.invoke("ask-java", {
        function: referenceFunction({ appId: "ls", functionId: "echo-card" }),
        data: { encrypted: { card: event.data.card }, orderId: 3 },
        timeout: "1m",
      });
      return { fromJava: answer };
    },
  );
  e2eFunctions.push(encCard, encSend, encInvoke);
}

// PEER_TRACES=on: app `traced` at /api/traced with the SDK's extended traces (extendedTracesMiddleware: an OTel
// provider of its own, spans POSTed to INNGEST_API_BASE_URL's /v1/traces/userland); off by default, as the
// middleware instruments the whole process (devserver/src/test/java/dev/loomstep/devserver/JsSdkTracesInteropTest.java).
let traced = null;
const tracedFunctions = [];
if (process.env.PEER_TRACES === "on") {
  // The provider first, as the SDK asks ("extendProvider"): its own fallback creates one asynchronously,
  // and a call that comes before that is not traced.
  const { trace, context } = require("@opentelemetry/api");
  const { BasicTracerProvider } = require("@opentelemetry/sdk-trace-base");
  const { AsyncLocalStorageContextManager } = require("@opentelemetry/context-async-hooks");
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [] }));
  const { extendedTracesMiddleware } = require("inngest/experimental");
  traced = new Inngest({ id: "traced", middleware: [extendedTracesMiddleware({ behaviour: "extendProvider" })], ...clientOptions });
  tracedFunctions.push(traced.createFunction({ id: "work", triggers: on("traced/work") }, async ({ step, tracer }) => {
    const n = await step.run("count", () =>
      tracer.startActiveSpan("js-count", (span) => {
        span.setAttribute("peer.items", 3);
        span.end();
        return 3;
      }));
    return { n };
  }));
}

function port() {
  const i = process.argv.indexOf("--port");
  const raw = i >= 0 ? process.argv[i + 1] : process.env.PORT;
  const n = raw === undefined ? 0 : Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`js-peer: --port wants an integer 0..65535, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

// A third app, `meta`, served at /api/meta: run and step metadata (experimental in JS 4.24, so behind its
// middleware). Inside step.run, inngest.metadata…set() rides on the step's op (`metadata: [{kind, scope, op,
// values}]`); step.metadata(id) is a step of its own carrying run-scoped metadata; outside a step it is a
// POST /v1/runs/{runId}/metadata to INNGEST_API_BASE_URL.
const { metadataMiddleware } = require("inngest/experimental");
const meta = new Inngest({ id: "meta", ...clientOptions, middleware: [metadataMiddleware()] });
const metaFunctions = [
  meta.createFunction({ id: "tagged", triggers: on("meta/tagged") }, async ({ step, runId }) => {
    const cents = await step.run("charge", async () => {
      await meta.metadata.set({ gateway: "stripe" }, "payments"); // this step's, on its op
      await meta.metadata.run().set({ status: "charging" }, "progress"); // the run's, on the step's op
      return 1250;
    });
    await step.metadata("tag").set({ customer: "ada" }); // the run's, on step "tag"'s op
    await meta.metadata.run(runId).set({ cents }, "totals"); // the run's, through the REST API
    return cents;
  }),
];

// A fourth app, `defer`, served at /api/defer: JS 4.4+'s defer (experimental createDefer). A deferred run
// starts once its parent run has ended, with `ctx.parents` naming the parent; `abort()` drops it while the
// parent runs. A Loomstep run defers `receipt` too (devserver/src/test/java/dev/loomstep/devserver/JsSdkDeferInteropTest.java);
// the other way is closed: JS names a defer's target by its own client's id, so it defers functions of its app only.
const deferring = new Inngest({ id: "defer", ...clientOptions });
const receipt = createDefer(deferring, { id: "receipt" }, async ({ event, parents }) => ({
  order: event.data.order,
  parent: parents[0].runId,
  parentFn: parents[0].fnSlug,
}));
const deferFunctions = [
  receipt,
  deferring.createFunction({ id: "order", triggers: on("defer/order") }, async ({ event, step, defer }) => {
    defer("receipt", { function: receipt, data: { order: event.data.order } });
    const charged = await step.run("charge", () => "charged");
    return { charged };
  }),
  deferring.createFunction({ id: "aborted", triggers: on("defer/aborted") }, async ({ event, step, defer }) => {
    const d = defer("receipt", { function: receipt, data: { order: event.data.order } });
    const refunded = await step.run("refund", () => true);
    if (refunded) d.abort();
    return await step.run("after", () => "no receipt");
  }),
];

const app = express();
app.use(express.json({ limit: "10mb" }));
// Realtime: a step publishes once (step.realtime.publish, durable) and the client publishes from inside the run
// (inngest.realtime.publish, not durable), to channel orders/{data.order}; Loomstep's subscribers read them.
const { realtime } = require("inngest");
const orders = realtime.channel({ name: (order) => `orders/${order}`, topics: { status: {} } });
const realtimeE2e = e2e.createFunction({ id: "realtime-publish", triggers: on("e2e/realtime-publish") }, async ({ event, step }) => {
  const ch = orders(event.data.order);
  await step.realtime.publish("announce", ch.status, { state: "packing", by: "js" });
  await e2e.realtime.publish(ch.status, { state: "packed", by: "js" });
  return "published";
});
e2eFunctions.push(realtimeE2e);

// The peer app's twin of the engine's realtime test function (same ids): how JS reports step.realtime.publish.
const realtimePeer = inngest.createFunction({ id: "realtime", triggers: on("peer/realtime") }, async ({ step }) => {
  const ch = realtime.channel({ name: "orders/1", topics: { status: {} } });
  await step.realtime.publish("announce", ch.status, { state: "packing" });
  return "published";
});
functions.push(realtimePeer);

app.use("/api/inngest", serve({ client: inngest, functions }));
app.use("/api/e2e", serve({ client: e2e, functions: e2eFunctions }));
app.use("/api/meta", serve({ client: meta, functions: metaFunctions }));
app.use("/api/defer", serve({ client: deferring, functions: deferFunctions }));
if (traced) app.use("/api/traced", serve({ client: traced, functions: tracedFunctions }));

const server = app.listen(port(), "127.0.0.1", () => {
  console.log(`js-peer ready http://127.0.0.1:${server.address().port}/api/inngest inngest-js:v${version}`);
});
server.on("error", (err) => {
  console.error(`js-peer: cannot listen: ${err.message}`);
  process.exit(1);
});
// The Java fixture stops us with SIGTERM; close promptly rather than waiting on keep-alive sockets.
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.closeAllConnections?.();
    server.close(() => process.exit(0));
  });
}
