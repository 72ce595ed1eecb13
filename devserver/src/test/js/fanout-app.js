// A fan-out on the official Inngest JS SDK (npm `inngest`, the version pinned in testkit/js-peer), for the
// devserver's JsSdkFanOutTest: run with NODE_PATH pointing at testkit/js-peer/node_modules.
//
//   node fanout-app.js        (PORT=N, default: a free port)
//
// App `fan`, function `fanout` (trigger `fan/out`, retries 0): Promise.all of `event.data.n` step.run
// calls, step i returning i; the run returns { sum, count }. Served with the SDK's plain Node handler
// (no body-size limit of a framework in the way of a 1,000-step state). Prints one ready line:
//   fan-app ready http://127.0.0.1:<port>/api/inngest
"use strict";

process.env.INNGEST_DEV = process.env.INNGEST_DEV || "1";

const http = require("node:http");
const { Inngest } = require("inngest");
const { serve } = require("inngest/node");

const clientOptions = process.env.FAN_CHECKPOINTING === "off" ? { checkpointing: false } : {};
const inngest = new Inngest({ id: "fan", ...clientOptions });

const fanout = inngest.createFunction(
  { id: "fanout", retries: 0, triggers: [{ event: "fan/out" }] },
  async ({ event, step }) => {
    const n = event.data.n;
    const parts = await Promise.all(Array.from({ length: n }, (_, i) => step.run(`s${i}`, () => i)));
    return { sum: parts.reduce((x, y) => x + y, 0), count: parts.length };
  },
);

const handler = serve({ client: inngest, functions: [fanout] });
const server = http.createServer((req, res) => {
  if (req.url.startsWith("/api/inngest")) {
    return handler(req, res);
  }
  res.statusCode = 404;
  res.end();
});
server.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  console.log(`fan-app ready http://127.0.0.1:${server.address().port}/api/inngest`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.closeAllConnections?.();
    server.close(() => process.exit(0));
  });
}
