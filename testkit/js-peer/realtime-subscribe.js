// The official JS SDK's realtime subscriber (npm `inngest` 4.24: inngest.realtime.subscribe), for Loomstep's
// realtime interop tests: it gets a token from INNGEST_API_BASE_URL's POST /v1/realtime/token, connects over
// WebSocket (/v1/realtime/connect), prints one ready line, then one line per message received:
//
//   node [--experimental-websocket] realtime-subscribe.js <channel> <topic>[,<topic>…]
//   -> realtime-subscriber ready <channel>
//   -> message {"kind","channel","topic","data","runId"}
"use strict";

process.env.INNGEST_DEV = process.env.INNGEST_DEV || "1";
const { Inngest } = require("inngest");

async function main() {
  const [channel, topics] = process.argv.slice(2);
  const inngest = new Inngest({ id: "realtime-subscriber" });
  const stream = await inngest.realtime.subscribe({ channel, topics: topics.split(",") });
  process.stdout.write(`realtime-subscriber ready ${channel}\n`);
  for await (const m of stream) {
    process.stdout.write(`message ${JSON.stringify({ kind: m.kind, channel: m.channel, topic: m.topic, data: m.data, runId: m.runId })}\n`);
  }
  process.stdout.write("realtime-subscriber closed\n");
}

main().catch((e) => {
  process.stdout.write(`realtime-subscriber failed ${String(e && e.stack ? e.stack : e).split("\n")[0]}\n`);
  process.exit(1);
});
