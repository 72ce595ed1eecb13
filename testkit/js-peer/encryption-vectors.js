// Runs values through the real @inngest/middleware-encryption 2.x middleware, for Loomstep's
// EncryptionCompatibilityTest: reads one JSON request on stdin, writes one JSON answer on stdout.
//
//   {"key": "k", "fallbackKeys": ["old"], "eventField": "encrypted",
//    "seal": [value, ...],                 -> "sealed": [envelope, ...]     (a step's output, as wrapStepHandler)
//    "open": [envelope, ...],              -> "opened": [value or {"error": message}, ...]   (as wrapStep)
//    "sendEvents": [event, ...],           -> "sentEvents": [event, ...]    (as transformSendEvent)
//    "inputEvents": [event, ...],          -> "inputEvents": [event, ...]   (as transformFunctionInput)
//    "invokeData": {...}}                  -> "invokeData": {...}           (as transformStepInput of step.invoke)
const { encryptionMiddleware } = require("@inngest/middleware-encryption");

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const req = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const Mw = encryptionMiddleware({
    key: req.key,
    fallbackDecryptionKeys: req.fallbackKeys,
    eventEncryptionField: req.eventField,
  });
  const mw = new Mw({ client: undefined });
  const out = {};
  if (req.seal) {
    out.sealed = await Promise.all(req.seal.map((v) => mw.wrapStepHandler({ next: async () => v })));
  }
  if (req.open) {
    out.opened = await Promise.all(
      req.open.map((v) => mw.wrapStep({ next: async () => v }).catch((e) => ({ error: String(e && e.message ? e.message : e) }))),
    );
  }
  if (req.sendEvents) {
    out.sentEvents = (await mw.transformSendEvent({ events: req.sendEvents })).events;
  }
  if (req.inputEvents) {
    const arg = await mw.transformFunctionInput({ ctx: { event: req.inputEvents[0], events: req.inputEvents } });
    out.inputEvents = arg.ctx.events;
  }
  if (req.invokeData) {
    const arg = await mw.transformStepInput({ stepInfo: { stepType: "invoke" }, input: [{ function_id: "x", payload: { data: req.invokeData } }] });
    out.invokeData = arg.input[0].payload.data;
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(`encryption-vectors: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
