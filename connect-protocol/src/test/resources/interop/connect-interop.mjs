// Runs the official JS SDK's own Connect encoders and decoders for ConnectProtocolInteropTest.
// argv[2]: the installed inngest package's connect.js. stdin: [{type, json, javaHex}], where json is the
// message in proto3 JSON. stdout: [{type, jsHex, javaDecoded, expected}]: the JS encoding of json, and
// what JS reads from Java's bytes beside what it reads from json (both as JS's own toJSON).
import { pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const connectJs = process.argv[2];
const proto = await import(pathToFileURL(connectJs).href);
const features = await import(pathToFileURL(join(dirname(connectJs), "../../sdkFeatureObservations/protobuf/feature_observations.js")).href);

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const cases = JSON.parse(Buffer.concat(chunks).toString("utf8"));

// Key order differs between toJSON and a fixture; compare canonical forms.
const canonical = (v) => Array.isArray(v) ? v.map(canonical)
  : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])])) : v;

const out = [];
for (const c of cases) {
  if (c.type === "enums") {
    out.push({
      type: c.type,
      gatewayMessageType: Object.fromEntries(Object.entries(proto.GatewayMessageType).filter(([k]) => isNaN(Number(k)) && k !== "UNRECOGNIZED")),
      sdkResponseStatus: Object.fromEntries(Object.entries(proto.SDKResponseStatus).filter(([k]) => isNaN(Number(k)) && k !== "UNRECOGNIZED")),
      workerDisconnectReason: Object.fromEntries(Object.entries(proto.WorkerDisconnectReason).filter(([k]) => isNaN(Number(k)) && k !== "UNRECOGNIZED")),
    });
    continue;
  }
  if (c.type === "FeatureObservations") {
    // Carried by AppConfiguration as a message of its own; Loomstep keeps its bytes opaque.
    const inner = features.FeatureObservations.fromJSON(c.json);
    const app = proto.WorkerConnectRequestData.encode(proto.WorkerConnectRequestData.fromPartial({
      apps: [{ appName: "a", featureObservations: inner }] })).finish();
    out.push({ type: c.type, jsHex: Buffer.from(app).toString("hex"),
      innerHex: Buffer.from(features.FeatureObservations.encode(inner).finish()).toString("hex") });
    continue;
  }
  const codec = proto[c.type];
  if (!codec) throw new Error("no JS codec named " + c.type);
  const msg = codec.fromJSON(c.json);
  const jsHex = Buffer.from(codec.encode(msg).finish()).toString("hex");
  const javaDecoded = canonical(codec.toJSON(codec.decode(Buffer.from(c.javaHex, "hex"))));
  const expected = canonical(codec.toJSON(msg));
  out.push({ type: c.type, jsHex, javaDecoded, expected });
}
process.stdout.write(JSON.stringify(out));
