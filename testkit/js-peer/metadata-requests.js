// Captures what the JS SDK's inngest.metadata sends to the Inngest API, for Loomstep's metadata request test:
// reads one JSON request on stdin, writes one JSON answer on stdout.
//
//   {"runId": "...", "calls": [{"step": "id", "index": 1, "attempt": 0, "kind": "k", "values": {...}}, ...]}
//   -> {"requests": [{"method", "path", "body"}, ...]}   (one per call, in order; step/index/attempt/kind optional)
const http = require("node:http");
const { Inngest } = require("inngest");
const { metadataMiddleware } = require("inngest/experimental");

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const req = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const seen = [];
  const server = http.createServer((rq, rs) => {
    const body = [];
    rq.on("data", (c) => body.push(c));
    rq.on("end", () => {
      seen.push({ method: rq.method, path: rq.url, body: JSON.parse(Buffer.concat(body).toString("utf8") || "null") });
      rs.writeHead(200, { "content-type": "application/json" });
      rs.end("{}");
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const base = `http://127.0.0.1:${server.address().port}`;
  const inngest = new Inngest({ id: "metadata-requests", isDev: true, baseUrl: base, middleware: [metadataMiddleware()] });
  for (const call of req.calls) {
    let b = inngest.metadata.run(req.runId);
    if (call.step !== undefined) b = b.step(call.step, call.index);
    if (call.attempt !== undefined) b = b.attempt(call.attempt);
    await b.set(call.values, call.kind);
  }
  server.close();
  process.stdout.write(JSON.stringify({ requests: seen }));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
