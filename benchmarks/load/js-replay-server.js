// The official Inngest JS SDK serving the load benchmark's function over express: `replay`, N + 1
// sequential step.run calls ("step-0" … "step-N"), the twin of dev.loomstep.benchmarks.load.LoadTarget.
// Resolves inngest and express from testkit/js-peer/node_modules (NODE_PATH), pinned there.
//
//   node js-replay-server.js --port 0 --steps 100
// prints: js-replay ready http://127.0.0.1:<port>/api/inngest
"use strict";

process.env.INNGEST_DEV = process.env.INNGEST_DEV || "1";

const express = require("express");
const { Inngest } = require("inngest");
const { serve } = require("inngest/express");

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const steps = Number(arg("--steps", "100"));

const inngest = new Inngest({ id: "bench" });
const replay = inngest.createFunction({ id: "replay", triggers: [{ event: "bench/replay" }] }, async ({ step }) => {
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    sum += await step.run(`step-${i}`, () => i);
  }
  return { sum };
});

const app = express();
app.use(express.json({ limit: "32mb" }));
app.use("/api/inngest", serve({ client: inngest, functions: [replay] }));
const server = app.listen(Number(arg("--port", "0")), "127.0.0.1", () => {
  console.log(`js-replay ready http://127.0.0.1:${server.address().port}/api/inngest`);
});
