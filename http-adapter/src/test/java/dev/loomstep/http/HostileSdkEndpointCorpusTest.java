package dev.loomstep.http;

import static dev.loomstep.testkit.hostile.HostileInput.malformedJson;
import static dev.loomstep.testkit.hostile.HostileInput.mistyped;

import dev.loomstep.http.signing.Signatures;
import dev.loomstep.testkit.hostile.HostileInput;
import dev.loomstep.testkit.hostile.HostileInput.Request;
import dev.loomstep.testkit.hostile.Refusals;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

/**
 * The generated hostile corpus against the SDK endpoint, served by each adapter (LoomstepServer, its
 * handler in a user's Undertow, LoomstepServlet in Tomcat), in dev and in cloud mode: malformed,
 * truncated and mistyped call requests, bad methods and query parameters, in-band syncs that are not,
 * and bad signatures. Each must be a one-line 4xx within the deadline, the endpoint still answers a
 * normal request, and no step ran. Seeded; {@code -Djqwik.tries.default=N} runs more.
 */
class HostileSdkEndpointCorpusTest {
    private static final String SEED = "20261201";
    private static final String CALL = """
            {"event":{"id":"evt-1","name":"demo/hello","data":{"user":"ada"},"ts":1700000000000},
             "events":[{"id":"evt-1","name":"demo/hello","data":{"user":"ada"},"ts":1700000000000}],"steps":{},
             "ctx":{"run_id":"01HTTPRUN","attempt":0,"fn_id":"fn-1","disable_immediate_execution":false,"use_api":false,
             "stack":{"stack":[],"current":0}},"version":1}""";

    /** Where a request goes: the adapter and the mode of the app behind it. */
    record Target(Served.Adapter adapter, boolean cloud) {}

    private TestApps apps;
    private final Map<Served.Adapter, Served> dev = new EnumMap<>(Served.Adapter.class);
    private final Map<Served.Adapter, Served> cloud = new EnumMap<>(Served.Adapter.class);

    @BeforeProperty
    void start() {
        apps = new TestApps();
        for (Served.Adapter a : Served.Adapter.values()) {
            dev.put(a, Served.start(a, apps.devApp()));
            cloud.put(a, Served.start(a, apps.cloudApp()));
        }
    }

    @AfterProperty
    void stop() throws Exception {
        for (Served s : dev.values()) {
            s.close();
        }
        for (Served s : cloud.values()) {
            s.close();
        }
    }

    private Served served(Target t) {
        return (t.cloud() ? cloud : dev).get(t.adapter());
    }

    /** Sends a request at the endpoint's path (the servlet's sits under a context path) and checks the refusal. */
    private void check(Target t, Request relative) {
        URI base = URI.create(served(t).url());
        Request r = new Request(relative.method(), base.getRawPath() + relative.target(), relative.headers(), relative.body());
        int before = apps.stepRuns.get();
        Refusals.assertRefused(base.getPort(), r);
        Refusals.assertHealthy(() -> TestHttp.send("GET", served(t).url(), Map.of(), null).status() < 500 ? 200 : 500, r);
        if (apps.stepRuns.get() != before) {
            throw new AssertionError("a step ran after " + r + " to " + t);
        }
    }

    @Property(seed = SEED)
    void everyAdapterRefusesMalformedAndMistypedCalls(@ForAll("targets") Target t, @ForAll("calls") byte[] body,
            @ForAll("contentTypes") Map<String, String> headers) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        if (t.cloud()) {
            h.put("X-Inngest-Signature", Signatures.sign(body, TestApps.KEY_, Instant.now())); // signed: the body alone is at fault
        }
        check(t, new Request("POST", "?fnId=peer-hello&stepId=step", h, body));
    }

    @Property(seed = SEED)
    void everyAdapterRefusesBadMethodsQueriesSyncsAndSignatures(@ForAll("targets") Target t, @ForAll("misc") Request r) {
        if (r.headers().containsKey("X-Sign")) {
            Map<String, String> h = new LinkedHashMap<>(r.headers());
            h.remove("X-Sign");
            if (t.cloud()) {
                h.put("X-Inngest-Signature", Signatures.sign(r.body(), TestApps.KEY_, Instant.now()));
            }
            r = new Request(r.method(), r.target(), h, r.body());
        }
        check(t, r);
    }

    @Property(seed = SEED)
    void cloudModeRefusesEveryBadSignature(@ForAll("adapters") Served.Adapter a, @ForAll("badSignatures") String signature) {
        byte[] body = CALL.getBytes(StandardCharsets.UTF_8);
        check(new Target(a, true), new Request("POST", "?fnId=peer-hello&stepId=step",
                Map.of("Content-Type", "application/json", "X-Inngest-Signature", signature), body));
    }

    @Provide
    Arbitrary<Target> targets() {
        return Combinators.combine(Arbitraries.of(Served.Adapter.class), Arbitraries.of(true, false)).as(Target::new);
    }

    @Provide
    Arbitrary<Served.Adapter> adapters() {
        return Arbitraries.of(Served.Adapter.class);
    }

    @Provide
    Arbitrary<Map<String, String>> contentTypes() {
        return HostileInput.contentTypes();
    }

    @Provide
    Arbitrary<byte[]> calls() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("event", "object,null,missing"); // the SDK then takes the first of "events"
        fields.put("event.name", "string,null,missing"); // the call names its function (fnId); the SDK passes the event on as it is
        fields.put("event.data", "object,null,missing");
        fields.put("events", "array,null,missing");
        fields.put("events.0", "object,missing");
        fields.put("steps", "object,null,missing");
        fields.put("ctx", "object,null,missing");
        fields.put("ctx.attempt", "integer,null,missing");
        fields.put("ctx.run_id", "string,null,missing");
        fields.put("ctx.stack", "object,null,missing");
        fields.put("ctx.stack.stack", "array,null,missing");
        fields.put("ctx.use_api", "boolean,null,missing");
        fields.put("ctx.disable_immediate_execution", "boolean,null,missing");
        return Arbitraries.oneOf(malformedJson(CALL), mistyped(CALL, fields),
                Arbitraries.of("[]", "1", "null", "\"x\"", "{}").map(s -> s.getBytes(StandardCharsets.UTF_8)));
    }

    @Provide
    Arbitrary<Request> misc() {
        byte[] call = CALL.getBytes(StandardCharsets.UTF_8);
        Map<String, String> sign = Map.of("Content-Type", "application/json", "X-Sign", "yes");
        Arbitrary<Request> methods = HostileInput.method("GET", "PUT", "POST", "OPTIONS", "TRACE", "CONNECT")
                .map(m -> new Request(m, "?fnId=peer-hello&stepId=step", sign, call));
        Arbitrary<Request> fnIds = HostileInput.hostileSegment().filter(s -> !s.equals("peer-hello"))
                .map(id -> new Request("POST", "?fnId=" + id + "&stepId=step", sign, call));
        Arbitrary<Request> noFnId = Arbitraries.of("", "?stepId=step", "?fnId=&stepId=step", "?fnId", "?fnId=%FF&stepId=step")
                .map(q -> new Request("POST", q, sign, call));
        Map<String, String> inBand = new LinkedHashMap<>(sign);
        inBand.put("X-Inngest-Sync-Kind", "in_band");
        Arbitrary<Request> inBandSyncs = Arbitraries.oneOf(malformedJson("{\"url\":\"http://127.0.0.1:1/api/inngest\"}"),
                        mistyped("{\"url\":\"http://127.0.0.1:1/api/inngest\"}", Map.of("url", "nonblank")),
                        Arbitraries.of("[]", "1", "null").map(s -> s.getBytes(StandardCharsets.UTF_8)))
                .map(b -> new Request("PUT", "", inBand, b));
        return Arbitraries.frequencyOf(Tuple.of(2, methods), Tuple.of(3, fnIds), Tuple.of(1, noFnId), Tuple.of(3, inBandSyncs));
    }

    @Provide
    Arbitrary<String> badSignatures() {
        long now = Instant.now().getEpochSecond();
        byte[] call = CALL.getBytes(StandardCharsets.UTF_8);
        return Arbitraries.oneOf(
                Arbitraries.of("", " ", "garbage", "t=&s=", "t=abc&s=00", "s=00", "t=" + now, "t=" + now + "&s=zz", "t=" + now + "&s=0",
                        "t=99999999999999999999&s=00", "t=-1&s=00", "&&&", "t=" + now + "&s=" + "0".repeat(64)),
                Arbitraries.of(TestApps.STRANGER_).map(k -> Signatures.sign(call, k, Instant.now())),
                Arbitraries.of(600L, 3_600L, -3_600L).map(skew -> Signatures.sign(call, TestApps.KEY_, Instant.now().minusSeconds(skew))),
                Arbitraries.of(1, 2).map(n -> Signatures.sign((CALL + " ").getBytes(StandardCharsets.UTF_8), TestApps.KEY_, Instant.now())),
                // Long, but under a servlet container's header limit (Tomcat: 8 KB), past which the container answers alone.
                Arbitraries.integers().between(1_000, 6_000).map(n -> "t=" + now + "&s=" + "a".repeat(n)));
    }
}
