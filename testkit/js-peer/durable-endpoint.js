// The official Inngest JS SDK's durable endpoints (npm `inngest` 4.24, `inngest/node`'s endpointAdapter):
// three HTTP handlers using steps, served on a free loopback port, checkpointing with the executor at
// INNGEST_BASE_URL (Loomstep's devserver in its tests). Prints one ready line once listening:
//   durable-endpoint ready http://127.0.0.1:<port>
//
//   GET /sync   two steps, answered in the request (the twin of JsSdkDurableEndpointWireTest's Java endpoint)
//   GET /sleep  a step, a 1 s sleep, a step: the client is redirected to the run's output
//   GET /flaky  a step that throws on its first attempt: redirected, then retried by the executor
"use strict";

process.env.INNGEST_DEV = process.env.INNGEST_DEV || "1";

const { Inngest, step } = require("inngest");
const { endpointAdapter, createEndpointServer } = require("inngest/node");

const inngest = new Inngest({ id: "peer-endpoints", endpointAdapter });
let flakyAttempts = 0;
const counts = { reserve: 0, ship: 0 };

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const routes = {
  // A plain value: JS records it as the run's output. (A Response is recorded with the body "null", as
  // JS cannot read its body twice.)
  "/sync": inngest.endpoint(async () => {
    const a = await step.run("a", () => 1);
    const b = await step.run("b", () => a + 1);
    return { sum: a + b };
  }),
  "/sleep": inngest.endpoint(async () => {
    const r = await step.run("reserve", () => ++counts.reserve);
    await step.sleep("settle", "1s");
    const s = await step.run("ship", () => ++counts.ship);
    return json({ reserve: r, ship: s, counts });
  }),
  "/flaky": inngest.endpoint(async () => {
    const v = await step.run("charge", () => {
      flakyAttempts++;
      if (flakyAttempts === 1) {
        throw new Error("payment provider timed out");
      }
      return "charged";
    });
    return json({ result: v, attempts: flakyAttempts });
  }),
};

const server = createEndpointServer(async (req) => {
  const route = routes[new URL(req.url).pathname];
  if (!route) {
    return new Response("not found", { status: 404 });
  }
  return route(req);
});

server.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  console.log(`durable-endpoint ready http://127.0.0.1:${server.address().port}`);
});
