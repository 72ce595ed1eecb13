package dev.loomstep.connect.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.loomstep.testkit.JsPeer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves that connect.proto is the protocol the official JS SDK 4.24 speaks: for every message, with
 * every field set, the bytes the JS SDK's own encoder writes decode in Java to the same message (and
 * leave no unknown field behind), and Java's bytes decode in JS to what JS itself reads from the same
 * fixture. The enums' names and numbers are compared as well. (AppConfiguration, AuthData and
 * SystemAttributes are not exported by the JS module; they travel inside WorkerConnectRequestData.)
 */
class ConnectProtocolInteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();
    private static final String TRACE = "eyJ0cmFjZXBhcmVudCI6IjAwLWFiYy0wMSJ9"; // base64 of {"traceparent":"00-abc-01"}

    /** Each fixture: its JS codec name, the Java builder, and the message as proto3 JSON. */
    private record Fixture(String type, Supplier<Message.Builder> builder, String json) {}

    private static final List<Fixture> FIXTURES = List.of(
            new Fixture("ConnectMessage", ConnectMessage::newBuilder,
                    "{\"kind\":\"GATEWAY_EXECUTOR_REQUEST\",\"payload\":\"AQID\"}"),
            new Fixture("WorkerConnectRequestData", WorkerConnectRequestData::newBuilder, """
                    {"connectionId":"01JCONN","instanceId":"billing-1","authData":{"sessionToken":"s","syncToken":"t"},
                     "capabilities":"eyJjb25uZWN0IjoidjEifQ==",
                     "apps":[{"appName":"billing","appVersion":"v7","functions":"W10="},{"appName":"shipping","functions":"W3t9XQ=="}],
                     "workerManualReadinessAck":true,"systemAttributes":{"cpuCores":8,"memBytes":17179869184,"os":"linux"},
                     "environment":"branch-1","framework":"connect","platform":"railway","sdkVersion":"v0.1.0","sdkLanguage":"java",
                     "startedAt":"2026-12-01T05:00:00.123Z","maxWorkerConcurrency":50}"""),
            new Fixture("GatewayConnectionReadyData", GatewayConnectionReadyData::newBuilder,
                    "{\"heartbeatInterval\":\"10s\",\"extendLeaseInterval\":\"5s\",\"statusInterval\":\"30s\"}"),
            new Fixture("WorkerStatusData", WorkerStatusData::newBuilder,
                    "{\"inFlightRequestIds\":[\"r1\",\"r2\"],\"shutdownRequested\":true}"),
            new Fixture("GatewayExecutorRequestData", GatewayExecutorRequestData::newBuilder, """
                    {"requestId":"r1","accountId":"acc","envId":"env","appId":"app-uuid","appName":"billing","functionId":"fn-uuid",
                     "functionSlug":"billing-charge","stepId":"step","requestPayload":"eyJldmVudCI6e319",
                     "systemTraceCtx":"%s","userTraceCtx":"%s","runId":"01JRUN","leaseId":"lease-1","jobId":"job-1"}""".formatted(TRACE, TRACE)),
            new Fixture("WorkerRequestAckData", WorkerRequestAckData::newBuilder, """
                    {"requestId":"r1","accountId":"acc","envId":"env","appId":"app-uuid","functionSlug":"billing-charge","stepId":"step",
                     "systemTraceCtx":"%s","userTraceCtx":"%s","runId":"01JRUN"}""".formatted(TRACE, TRACE)),
            new Fixture("WorkerRequestExtendLeaseData", WorkerRequestExtendLeaseData::newBuilder, """
                    {"requestId":"r1","accountId":"acc","envId":"env","appId":"app-uuid","functionSlug":"billing-charge","stepId":"step",
                     "systemTraceCtx":"%s","userTraceCtx":"%s","runId":"01JRUN","leaseId":"lease-1"}""".formatted(TRACE, TRACE)),
            new Fixture("WorkerRequestExtendLeaseAckData", WorkerRequestExtendLeaseAckData::newBuilder, """
                    {"requestId":"r1","accountId":"acc","envId":"env","appId":"app-uuid","functionSlug":"billing-charge","newLeaseId":"lease-2"}"""),
            new Fixture("SDKResponse", SDKResponse::newBuilder, """
                    {"requestId":"r1","accountId":"acc","envId":"env","appId":"app-uuid","status":"ERROR","body":"eyJtZXNzYWdlIjoieCJ9",
                     "noRetry":true,"retryAfter":"2026-12-01T06:00:00Z","sdkVersion":"loomstep:v0.1.0","requestVersion":1,
                     "systemTraceCtx":"%s","userTraceCtx":"%s","runId":"01JRUN"}""".formatted(TRACE, TRACE)),
            new Fixture("WorkerReplyAckData", WorkerReplyAckData::newBuilder, "{\"requestId\":\"r1\"}"),
            new Fixture("StartRequest", StartRequest::newBuilder, "{\"excludeGateways\":[\"gw-a\",\"gw-b\"]}"),
            new Fixture("StartResponse", StartResponse::newBuilder, """
                    {"connectionId":"01JCONN","gatewayEndpoint":"wss://gw.example/v0/connect","gatewayGroup":"gw-a",
                     "sessionToken":"sess","syncToken":"sync"}"""),
            new Fixture("FlushResponse", FlushResponse::newBuilder, "{\"requestId\":\"r1\"}"));

    private static final Map<String, Message> JAVA = new LinkedHashMap<>();
    private static final Map<String, JsonNode> JS = new LinkedHashMap<>();

    @BeforeAll
    static void runTheJsSdkOnEveryFixture() throws Exception {
        JsPeer.assumeAvailable();
        ArrayNode cases = JSON.createArrayNode();
        for (Fixture f : FIXTURES) {
            Message.Builder b = f.builder().get();
            JsonFormat.parser().merge(f.json(), b);
            Message m = b.build();
            JAVA.put(f.type(), m);
            cases.addObject().put("type", f.type()).put("javaHex", HEX.formatHex(m.toByteArray())).set("json", JSON.readTree(f.json()));
        }
        cases.addObject().put("type", "enums");
        cases.addObject().put("type", "FeatureObservations")
                .set("json", JSON.readTree("{\"sendEvents\":{\"sendEventsViaCheckpoint\":true}}"));
        for (JsonNode r : runNode(cases)) {
            JS.put(r.get("type").asText(), r);
        }
    }

    @Test
    void bytesTheJsSdkEncodesDecodeInJavaToTheSameMessageWithNoUnknownFields() throws Exception {
        for (Fixture f : FIXTURES) {
            Message expected = JAVA.get(f.type());
            Message decoded = expected.getParserForType().parseFrom(HEX.parseHex(JS.get(f.type()).get("jsHex").asText()));
            assertEquals(expected, decoded, f.type() + ": Java reads the JS encoding differently");
            assertTrue(decoded.getUnknownFields().asMap().isEmpty(), f.type() + ": the JS encoding has fields connect.proto lacks");
        }
    }

    @Test
    void bytesJavaEncodesDecodeInJsToWhatJsReadsFromTheSameFixture() {
        for (Fixture f : FIXTURES) {
            JsonNode r = JS.get(f.type());
            assertEquals(r.get("expected"), r.get("javaDecoded"), f.type() + ": JS reads the Java encoding differently");
        }
    }

    @Test
    void everyFixtureSetsEveryFieldSoNoFieldGoesUnchecked() {
        for (Fixture f : FIXTURES) {
            Message m = JAVA.get(f.type());
            for (var field : m.getDescriptorForType().getFields()) {
                if (field.getName().equals("feature_observations")) {
                    continue; // its own test below
                }
                boolean set = field.isRepeated() ? m.getRepeatedFieldCount(field) > 0 : m.hasField(field)
                        || field.getJavaType() == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.ENUM;
                assertTrue(set, f.type() + "." + field.getName() + " is not set by its fixture");
            }
        }
    }

    @Test
    void enumsHaveTheSameNamesAndNumbersAsTheJsSdk() {
        JsonNode e = JS.get("enums");
        assertEquals(e.get("gatewayMessageType"), namesAndNumbers(GatewayMessageType.values()));
        assertEquals(e.get("sdkResponseStatus"), namesAndNumbers(SDKResponseStatus.values()));
        assertEquals(e.get("workerDisconnectReason"), namesAndNumbers(WorkerDisconnectReason.values()));
    }

    @Test
    void featureObservationsTravelAsTheJsSdksOwnMessageBytes() throws Exception {
        JsonNode r = JS.get("FeatureObservations");
        AppConfiguration app = WorkerConnectRequestData.parseFrom(HEX.parseHex(r.get("jsHex").asText())).getApps(0);
        assertEquals("a", app.getAppName());
        assertTrue(app.hasFeatureObservations());
        assertEquals(ByteString.copyFrom(HEX.parseHex(r.get("innerHex").asText())), app.getFeatureObservations());
        assertTrue(app.getUnknownFields().asMap().isEmpty());
    }

    private static ObjectNode namesAndNumbers(Enum<?>[] values) {
        ObjectNode o = JSON.createObjectNode();
        for (Enum<?> v : values) {
            if (v instanceof com.google.protobuf.ProtocolMessageEnum p && !v.name().equals("UNRECOGNIZED")) {
                o.put(v.name(), p.getNumber());
            }
        }
        return o;
    }

    private static JsonNode runNode(JsonNode cases) throws IOException, InterruptedException {
        Path root = JsPeer.repoRoot();
        Path connectJs = root.resolve("testkit/js-peer/node_modules/inngest/proto/src/components/connect/protobuf/connect.js");
        Path script = Path.of("src/test/resources/interop/connect-interop.mjs").toAbsolutePath();
        if (!script.toFile().isFile()) {
            script = root.resolve("connect-protocol/src/test/resources/interop/connect-interop.mjs");
        }
        Process p = new ProcessBuilder(List.of("node", script.toString(), connectJs.toString())).redirectErrorStream(false).start();
        try (var in = p.getOutputStream()) {
            in.write(JSON.writeValueAsBytes(cases));
        }
        var err = new ArrayList<String>();
        Thread drain = Thread.ofVirtual().start(() -> {
            try (var r = p.errorReader()) {
                r.lines().forEach(err::add);
            } catch (IOException ignored) {
                // the process is gone; what it wrote so far is enough
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("node did not finish within 60 s");
        }
        drain.join();
        if (p.exitValue() != 0) {
            throw new AssertionError("node failed (" + p.exitValue() + "): " + String.join("\n", err));
        }
        return JSON.readTree(new String(out, StandardCharsets.UTF_8));
    }
}
