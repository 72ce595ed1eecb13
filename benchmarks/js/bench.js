// The comparison peer of Loomstep's JMH benchmarks: the official Inngest JS SDK (npm `inngest`, pinned
// in package.json) replaying the same call requests in-process, with no HTTP. Its express `serve`
// handler is called directly with a synthetic request and response, which is the thinnest public layer
// that runs a whole call request (body checks, function lookup, replay, answer serialisation):
//
//   replay/parsed  req.body is the already-parsed object (what express.json() hands the SDK)
//   replay/bytes   req.body is read from the UTF-8 body bytes as a string; the SDK JSON.parses it
//   fanout/parsed  Promise.all of N step.run from an empty state -> 206 with N StepPlanned
//
//   node bench.js [--bodies DIR] [--out FILE] [--wi 3] [--w 2] [--i 5] [--r 2] [--only replay|fanout]
//
// --bodies DIR: the bodies the Java benchmarks replay (written by dev.loomstep.benchmarks.CallBodies);
// each must be byte-identical to the one built here, or the run stops: both SDKs get the same input.
// Timing mirrors JMH's: warm-up iterations, then measured iterations of fixed wall time, each reporting
// the mean time per request; the score is the mean of the measured iterations.
"use strict";

process.env.INNGEST_DEV = "1";

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { Inngest, version } = require("inngest");
const { serve } = require("inngest/express");

const REPLAY_N = [1, 10, 100, 1000];
const FANOUT_N = [10, 100, 1000];

function args() {
  const out = { wi: 3, w: 2, i: 5, r: 2, bodies: null, out: null, only: null };
  const argv = process.argv.slice(2);
  for (let k = 0; k < argv.length; k += 2) {
    const key = argv[k].replace(/^--/, "");
    if (!(key in out) || argv[k + 1] === undefined) {
      console.error(`bench.js: unknown or incomplete option ${argv[k]}; see the header of bench.js`);
      process.exit(2);
    }
    out[key] = ["bodies", "out", "only"].includes(key) ? argv[k + 1] : Number(argv[k + 1]);
  }
  return out;
}

// ---- the functions: twins of ReplayBenchmark's and FanOutBenchmark's -------------------------------

const inngest = new Inngest({ id: "bench" });
const on = [{ event: "bench/run" }];

const replayFn = (n) =>
  inngest.createFunction({ id: `replay-${n}`, triggers: on }, async ({ step }) => {
    let sum = 0;
    for (let i = 0; i <= n; i++) {
      sum += await step.run(`s${i}`, () => i);
    }
    return sum;
  });

const fanoutFn = (n) =>
  inngest.createFunction({ id: `fanout-${n}`, triggers: on }, async ({ step }) => {
    const branches = [];
    for (let i = 0; i < n; i++) {
      branches.push(step.run(`p${i}`, () => i));
    }
    return (await Promise.all(branches)).reduce((a, b) => a + b, 0);
  });

const handler = serve({
  client: inngest,
  functions: [...REPLAY_N.map(replayFn), ...FANOUT_N.map(fanoutFn)],
});

// ---- bodies: the same bytes as CallBodies.java ------------------------------------------------------

const sha1 = (s) => crypto.createHash("sha1").update(s).digest("hex");

function body(steps, stack, disableImmediateExecution) {
  const event = { id: "01BENCHEVT0000000000000000", name: "bench/run", data: {}, ts: 1700000000000 };
  return Buffer.from(JSON.stringify({
    event,
    events: [event],
    steps,
    ctx: {
      run_id: "01BENCHRUN0000000000000000",
      attempt: 0,
      disable_immediate_execution: disableImmediateExecution,
      use_api: false,
      stack: { stack, current: stack.length },
    },
    version: 1,
  }), "utf8");
}

function replayBody(n) {
  const steps = {};
  const stack = [];
  for (let i = 0; i < n; i++) {
    const id = sha1(`s${i}`);
    steps[id] = { data: i };
    stack.push(id);
  }
  return body(steps, stack, true);
}

const emptyBody = () => body({}, [], false);

function requireSameAsJava(dir, name, bytes) {
  if (!dir) return;
  const file = path.join(dir, name);
  const java = fs.readFileSync(file);
  if (!java.equals(bytes)) {
    console.error(`bench.js: ${file} differs from the body built here (${java.length} vs ${bytes.length} bytes); the two benchmarks would not replay the same request`);
    process.exit(1);
  }
}

// ---- one call through the SDK's express handler, without a server ----------------------------------

function call(fnId, reqBody) {
  return new Promise((resolve, reject) => {
    const url = `/api/inngest?fnId=${fnId}&stepId=step`;
    const req = {
      method: "POST",
      headers: { host: "127.0.0.1", "content-type": "application/json" },
      originalUrl: url,
      url,
      query: { fnId, stepId: "step" },
      protocol: "http",
      get body() {
        return reqBody();
      },
    };
    const res = {
      statusCode: 200,
      headers: {},
      setHeader(k, v) { this.headers[k] = v; },
      status(s) { this.statusCode = s; return this; },
      send(b) { resolve({ status: this.statusCode, body: b }); return this; },
    };
    handler(req, res).catch(reject);
  });
}

function requirePlanned(answer, ids) {
  const ops = JSON.parse(answer.body);
  const ok = answer.status === 206 && Array.isArray(ops) && ops.length === ids.length &&
    ops.every((op, k) => op.op === "StepPlanned" && op.id === sha1(ids[k]));
  if (!ok) {
    console.error(`bench.js: expected 206 with StepPlanned ${ids.length > 3 ? ids.length + " ops" : ids.join(",")}, got ${answer.status} ${String(answer.body).slice(0, 300)}`);
    process.exit(1);
  }
}

// ---- measurement -------------------------------------------------------------------------------------

async function iteration(seconds, op) {
  const budget = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let ops = 0;
  let now = start;
  do {
    await op();
    ops++;
    now = process.hrtime.bigint();
  } while (now - start < budget);
  return Number(now - start) / 1e3 / ops; // µs per request
}

async function measure(label, opts, op) {
  for (let k = 0; k < opts.wi; k++) {
    const us = await iteration(opts.w, op);
    process.stderr.write(`# ${label} warm-up ${k + 1}: ${us.toFixed(3)} us/op\n`);
  }
  const scores = [];
  for (let k = 0; k < opts.i; k++) {
    const us = await iteration(opts.r, op);
    scores.push(us);
    process.stderr.write(`# ${label} iteration ${k + 1}: ${us.toFixed(3)} us/op\n`);
  }
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const sd = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, scores.length - 1));
  return { mean, sd, min: Math.min(...scores), max: Math.max(...scores) };
}

async function main() {
  const opts = args();
  const results = [];
  const record = (bench, n, stats) => {
    results.push({ bench, n, unit: "us/op", ...stats });
    console.log(`${bench.padEnd(14)} n=${String(n).padEnd(5)} ${stats.mean.toFixed(3).padStart(12)} us/op  (sd ${stats.sd.toFixed(3)})`);
  };

  if (opts.only !== "fanout") {
    for (const n of REPLAY_N) {
      const bytes = replayBody(n);
      requireSameAsJava(opts.bodies, `replay-${n}.json`, bytes);
      const parsed = JSON.parse(bytes.toString("utf8"));
      const fnId = `bench-replay-${n}`;
      requirePlanned(await call(fnId, () => parsed), [`s${n}`]);
      requirePlanned(await call(fnId, () => bytes.toString("utf8")), [`s${n}`]);
      record("replay/parsed", n, await measure(`replay/parsed n=${n}`, opts, () => call(fnId, () => parsed)));
      record("replay/bytes", n, await measure(`replay/bytes n=${n}`, opts, () => call(fnId, () => bytes.toString("utf8"))));
      // The parsed object is shared by every request: make sure the SDK did not change it meanwhile.
      if (!Buffer.from(JSON.stringify(parsed), "utf8").equals(bytes)) {
        console.error("bench.js: the SDK mutated the parsed request body; replay/parsed figures are invalid");
        process.exit(1);
      }
    }
  }
  if (opts.only !== "replay") {
    const bytes = emptyBody();
    requireSameAsJava(opts.bodies, "empty.json", bytes);
    for (const n of FANOUT_N) {
      const parsed = JSON.parse(bytes.toString("utf8"));
      const fnId = `bench-fanout-${n}`;
      requirePlanned(await call(fnId, () => parsed), Array.from({ length: n }, (_, i) => `p${i}`));
      record("fanout/parsed", n, await measure(`fanout/parsed n=${n}`, opts, () => call(fnId, () => parsed)));
    }
  }

  const report = { sdk: `inngest-js:v${version}`, node: process.version, settings: opts, results };
  if (opts.out) fs.writeFileSync(opts.out, JSON.stringify(report, null, 2) + "\n");
}

main().catch((err) => {
  console.error(`bench.js: ${err.stack || err}`);
  process.exit(1);
});
