// The official Inngest JS SDK's Connect worker (`connect()` from npm `inngest`), serving app `conn` to
// a dev server's Connect gateway: no HTTP endpoint at all. The devserver's Connect interop tests
// (devserver/src/test/java/dev/loomstep/devserver/connect/) start it and run their scenarios through it.
//
//   INNGEST_API_BASE_URL=http://127.0.0.1:<port> node connect-worker.js   (Node 20: node --experimental-websocket ...)
//
// Dev mode (INNGEST_DEV=1 unless set). CONNECT_INSTANCE_ID names the instance; PEER_CHECKPOINTING=off
// turns checkpointing off; HANG_SLOW=1 makes the `slow` function's step hang (for kill -9 tests),
// SLOW_MS=n makes it take n ms (for lease extensions); MAX_CONCURRENCY=n sets maxWorkerConcurrency.
// INNGEST_CONNECT_GATEWAY_URL (read by the SDK itself) dials another gateway URL than the start call's.
// Prints one ready line once the worker's connection is active:
//   connect-worker ready <instance id> inngest-js:v<version>
"use strict";

process.env.INNGEST_DEV = process.env.INNGEST_DEV || "1";

const { Inngest, NonRetriableError, version } = require("inngest");
const { connect } = require("inngest/connect");

const clientOptions = process.env.PEER_CHECKPOINTING === "off" ? { checkpointing: false } : {};
const conn = new Inngest({ id: "conn", ...clientOptions });
const on = (event) => [{ event }];

const steps = conn.createFunction({ id: "steps", triggers: on("conn/steps") }, async ({ event, step }) => {
  const a = await step.run("a", () => event.data.n);
  const b = await step.run("b", () => a * 2);
  await step.sleep("nap", "1s");
  return { sum: a + b };
});

const wait = conn.createFunction({ id: "wait", triggers: on("conn/wait") }, async ({ step }) => {
  const got = await step.waitForEvent("w", { event: "conn/approve", timeout: "1h", if: "event.data.id == async.data.id" });
  return { approved: got ? got.data.id : null };
});

const child = conn.createFunction({ id: "child", triggers: on("conn/child") }, async ({ event }) => ({ doubled: event.data.v * 2 }));

const invoke = conn.createFunction({ id: "invoke", triggers: on("conn/invoke") }, async ({ step }) => {
  const result = await step.invoke("call-child", { function: child, data: { v: 21 }, timeout: "1m" });
  return { result };
});

const parallel = conn.createFunction({ id: "parallel", triggers: on("conn/parallel") }, async ({ step }) => {
  const parts = await Promise.all([step.run("p1", () => 1), step.run("p2", () => 2), step.run("p3", () => 3)]);
  return { sum: parts.reduce((x, y) => x + y, 0) };
});

// Throws on the first two attempts, then succeeds.
const flaky = conn.createFunction({ id: "flaky", retries: 3, triggers: on("conn/flaky") }, async ({ step, attempt }) => {
  const out = await step.run("a", () => {
    if (attempt < 2) {
      throw new Error(`boom ${attempt}`);
    }
    return `fine on attempt ${attempt}`;
  });
  return { out };
});

const doomed = conn.createFunction({ id: "doomed", retries: 0, triggers: on("conn/doomed") }, async ({ step }) => {
  await step.run("a", () => {
    throw new NonRetriableError("no way");
  });
});

// Its step hangs while HANG_SLOW=1 (the worker is then killed mid-step); otherwise it answers.
const slow = conn.createFunction({ id: "slow", retries: 3, triggers: on("conn/slow") }, async ({ step }) => {
  const first = await step.run("first", () => "one");
  const second = await step.run("second", async () => {
    if (process.env.SLOW_MS) {
      await new Promise((resolve) => setTimeout(resolve, Number(process.env.SLOW_MS))); // outlives the lease unless extended
    }
    if (process.env.HANG_SLOW === "1") {
      console.log(`connect-worker in slow step ${process.env.CONNECT_INSTANCE_ID || ""}`);
      await new Promise(() => {}); // never settles
    }
    return `two from ${process.env.CONNECT_INSTANCE_ID || "worker"}`;
  });
  return { first, second };
});

const functions = [steps, wait, child, invoke, parallel, flaky, doomed, slow];

(async () => {
  const worker = await connect({
    apps: [{ client: conn, functions }],
    instanceId: process.env.CONNECT_INSTANCE_ID || undefined,
    isolateExecution: false,
    ...(process.env.MAX_CONCURRENCY ? { maxWorkerConcurrency: Number(process.env.MAX_CONCURRENCY) } : {}),
    handleShutdownSignals: ["SIGTERM", "SIGINT"],
  });
  console.log(`connect-worker ready ${process.env.CONNECT_INSTANCE_ID || worker.connectionId} inngest-js:v${version}`);
  await worker.closed;
  console.log("connect-worker closed");
})().catch((e) => {
  console.error(`connect-worker failed: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
