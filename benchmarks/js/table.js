// Prints Loomstep's JMH results next to the JS SDK's for the same cases, as a Markdown table with
// ratios, and checks the targets.   node table.js JMH_JSON [JS_JSON]
"use strict";

const fs = require("node:fs");

const [jmhFile, jsFile] = process.argv.slice(2);
if (!jmhFile) {
  console.error("usage: node table.js JMH_JSON [JS_JSON]");
  process.exit(2);
}

// Loomstep case -> the JS case it is compared with. The JS SDK has no thread hand-off, so the
// virtual-thread caller is compared with the same JS figure as the platform-thread one.
const CASES = {
  "ReplayBenchmark.fromParsed": ["replay/parsed", "replay/parsed"],
  "ReplayBenchmark.fromBytes": ["replay/bytes", "replay/bytes"],
  "ReplayBenchmark.fromBytesOnVirtualThread": ["replay/bytes-vt", "replay/bytes"],
  "FanOutBenchmark.fromParsed": ["fanout/parsed", "fanout/parsed"],
};

const java = new Map();
for (const r of JSON.parse(fs.readFileSync(jmhFile, "utf8"))) {
  const [name] = CASES[r.benchmark.replace(/^.*\.(\w+Benchmark\.\w+)$/, "$1")] ?? [];
  if (!name || r.primaryMetric.scoreUnit !== "us/op") continue;
  java.set(`${name} ${r.params.n}`, { mean: r.primaryMetric.score, err: r.primaryMetric.scoreError });
}
const js = new Map();
let sdk = "JS";
if (jsFile) {
  const report = JSON.parse(fs.readFileSync(jsFile, "utf8"));
  sdk = report.sdk;
  for (const r of report.results) js.set(`${r.bench} ${r.n}`, r);
}

const f = (x, digits = 1) => (x === undefined || !Number.isFinite(Number(x)) ? "–" : Number(x).toFixed(digits));
const ms = (us) => (us >= 10_000 ? `${f(us / 1000, 1)} ms` : `${f(us, 1)} µs`);

const rows = [];
rows.push(`| case | N | Loomstep / request | per step | ${sdk} / request | per step | JS ÷ Loomstep |`);
rows.push("|---|---:|---:|---:|---:|---:|---:|");
for (const [name, jsName] of Object.values(CASES)) {
  for (const key of [...java.keys()].filter((k) => k.startsWith(name + " "))) {
    const n = Number(key.split(" ")[1]);
    const j = java.get(key);
    const p = js.get(`${jsName} ${n}`);
    rows.push(`| ${name} | ${n} | ${ms(j.mean)}${Number.isFinite(Number(j.err)) ? ` ± ${f(j.err, 1)}` : ""} | ${f(j.mean / n, 3)} µs | ${p ? ms(p.mean) : "–"} | ${p ? f(p.mean / n, 1) + " µs" : "–"} | ${p ? f(p.mean / j.mean, 1) + "×" : "–"} |`);
  }
}
console.log(rows.join("\n"));

const checks = [];
const replay = java.get("replay/parsed 100");
const replayBytes = java.get("replay/bytes 100");
const replayVt = java.get("replay/bytes-vt 100");
if (replay) {
  checks.push(`- replay, N = 100, per memoized step: ${f(replay.mean / 100, 3)} µs from the parsed request` +
    (replayBytes ? `, ${f(replayBytes.mean / 100, 3)} µs from bytes` : "") +
    (replayVt ? `, ${f(replayVt.mean / 100, 3)} µs from bytes on a virtual thread` : "") +
    ` (target ≤ 1 µs): ${[replay, replayBytes, replayVt].every((r) => !r || r.mean / 100 <= 1) ? "met" : "MISSED"}`);
}
const fan = java.get("fanout/parsed 1000");
if (fan) {
  checks.push(`- 1,000-way fan-out: ${f(fan.mean / 1000, 2)} ms (target ≤ 5 ms): ${fan.mean <= 5000 ? "met" : "MISSED"}`);
}
if (checks.length) console.log("\n" + checks.join("\n"));
