// The official Inngest JS SDK's side of the end-to-end comparison (benchmarks/load/e2e-vs-restate.sh):
// `bench-js-steps`, triggered by `bench/run`, 10 sequential step.run calls each returning a small value,
// their sum as the output — the twin of dev.loomstep.benchmarks.e2e.E2eApp; and `bench-js-fanout`, triggered
// by `bench/fanout` with {"n": N} (benchmarks/load/fanout-vs-restate.sh): Promise.all of N step.run calls,
// step i returning i, their sum as the output. The SDK's defaults apply
// (checkpointing on in 4.x, when the executor offers it). Resolves inngest and express from
// testkit/js-peer/node_modules (NODE_PATH), pinned there. Syncs itself with the devserver at --dev.
//
//   node js-e2e-app.js --dev http://127.0.0.1:8288 [--steps 10]
// prints: js-app ready http://127.0.0.1:<port>/api/inngest
"use strict";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const dev = arg("--dev");
if (!dev) {
  console.error("js-e2e-app: --dev URL is required");
  process.exit(2);
}
process.env.INNGEST_DEV = dev;
const steps = Number(arg("--steps", "10"));

const express = require("express");
const { Inngest } = require("inngest");
const { serve } = require("inngest/express");

const inngest = new Inngest({ id: "bench-js" });
const fn = inngest.createFunction({ id: "steps", triggers: [{ event: "bench/run" }] }, async ({ step }) => {
  let sum = 0;
  for (let i = 0; i < steps; i++) {
    sum += await step.run(`step-${i}`, () => i);
  }
  return sum;
});

const fanout = inngest.createFunction({ id: "fanout", triggers: [{ event: "bench/fanout" }] }, async ({ event, step }) => {
  const n = Number(event.data.n);
  const values = await Promise.all(Array.from({ length: n }, (_, i) => step.run(`p${i}`, () => i)));
  return values.reduce((a, b) => a + b, 0);
});

const app = express();
app.use(express.json({ limit: "32mb" }));
app.use("/api/inngest", serve({ client: inngest, functions: [fn, fanout] }));
const server = app.listen(0, "127.0.0.1", async () => {
  const url = `http://127.0.0.1:${server.address().port}/api/inngest`;
  const res = await fetch(url, { method: "PUT" }); // the SDK syncs itself with the devserver
  if (!res.ok) {
    console.error(`js-e2e-app: sync with ${dev} failed: ${res.status} ${await res.text()}`);
    process.exit(1);
  }
  console.log(`js-app ready ${url}`);
});
