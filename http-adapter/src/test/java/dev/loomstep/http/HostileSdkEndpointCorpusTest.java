package dev.loomstep.http;

import static dev.loomstep.testkit.hostile.HostileInput.malformedJson;
import static dev.loomstep.testkit.hostile.HostileInput.mistyped;

import dev.loomstep.http.signing.Signatures;
import dev.loomstep.testkit.hostile.Corpus;
import dev.loomstep.testkit.hostile.Gen;
import dev.loomstep.testkit.hostile.HostileInput;
import dev.loomstep.testkit.hostile.HostileInput.Request;
import dev.loomstep.testkit.hostile.Refusals;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The generated hostile corpus against the SDK endpoint, served by each adapter (LoomstepServer, its
 * handler in a user's Undertow, LoomstepServlet in Tomcat), in dev and in cloud mode: malformed,
 * truncated and mistyped call requests, bad methods and query parameters, in-band syncs that are not,
 * and bad signatures. Each must be a one-line 4xx within the deadline, the endpoint still answers a
 * normal request, and no step ran. Seeded; {@code -Dloomstep.hostile.tries=N} runs more (see {@link Corpus}).
 */
class HostileSdkEndpointCorpusTest {
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

    @BeforeEach
    void start() {
        apps = new TestApps();
        for (Served.Adapter a : Served.Adapter.values()) {
            dev.put(a, Served.start(a, apps.devApp()));
            cloud.put(a, Served.start(a, apps.cloudApp()));
        }
    }

    @AfterEach
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

    /** A call body with the content type it is sent with, to the given target. */
    record Call(Target target, byte[] body, Map<String, String> headers) {
        @Override
        public String toString() {
            return target + " " + new Request("POST", "", headers, body);
        }
    }

    @TestFactory
    Stream<DynamicTest> everyAdapterRefusesMalformedAndMistypedCalls() {
        Gen<Target> targets = targets();
        Gen<byte[]> calls = calls();
        Gen<Map<String, String>> contentTypes = HostileInput.contentTypes();
        return Corpus.tries(r -> new Call(targets.next(r), calls.next(r), contentTypes.next(r)),
                c -> refusesCall(c.target(), c.body(), c.headers()));
    }

    private void refusesCall(Target t, byte[] body, Map<String, String> headers) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        if (t.cloud()) {
            h.put("X-Inngest-Signature", Signatures.sign(body, TestApps.KEY_, Instant.now())); // signed: the body alone is at fault
        }
        check(t, new Request("POST", "?fnId=peer-hello&stepId=step", h, body));
    }

    @TestFactory
    Stream<DynamicTest> everyAdapterRefusesBadMethodsQueriesSyncsAndSignatures() {
        Gen<Target> targets = targets();
        Gen<Request> misc = misc();
        Gen<Aimed> aimed = r -> new Aimed(targets.next(r), misc.next(r));
        // Tomcat refuses a raw non-ASCII byte in the request line itself, with its HTML page, before any
        // servlet runs (as it does a header over its limit); the Undertow adapters still get such targets.
        Gen<Aimed> reachingTheAdapter = aimed.filter(a -> a.target().adapter() != Served.Adapter.SERVLET
                || a.request().target().chars().allMatch(c -> c < 0x80));
        return Corpus.tries(reachingTheAdapter, a -> refusesMisc(a.target(), a.request()));
    }

    /** A request and where it goes. */
    record Aimed(Target target, Request request) {}

    private void refusesMisc(Target t, Request r) {
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

    @TestFactory
    Stream<DynamicTest> cloudModeRefusesEveryBadSignature() {
        Gen<Served.Adapter> adapters = Gen.of(Served.Adapter.class);
        Gen<String> signatures = badSignatures();
        return Corpus.tries(r -> new Signed(adapters.next(r), signatures.next(r)), s -> refusesSignature(s.adapter(), s.signature()));
    }

    /** A bad signature and the adapter it is sent to. */
    record Signed(Served.Adapter adapter, String signature) {}

    private void refusesSignature(Served.Adapter a, String signature) {
        byte[] body = CALL.getBytes(StandardCharsets.UTF_8);
        check(new Target(a, true), new Request("POST", "?fnId=peer-hello&stepId=step",
                Map.of("Content-Type", "application/json", "X-Inngest-Signature", signature), body));
    }

    private static Gen<Target> targets() {
        return Gen.combine(Gen.of(Served.Adapter.class), Gen.of(true, false), Target::new);
    }

    private static Gen<byte[]> calls() {
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
        return Gen.oneOf(malformedJson(CALL), mistyped(CALL, fields),
                Gen.of("[]", "1", "null", "\"x\"", "{}").map(s -> s.getBytes(StandardCharsets.UTF_8)));
    }

    private static Gen<Request> misc() {
        byte[] call = CALL.getBytes(StandardCharsets.UTF_8);
        Map<String, String> sign = Map.of("Content-Type", "application/json", "X-Sign", "yes");
        Gen<Request> methods = HostileInput.method("GET", "PUT", "POST", "OPTIONS", "TRACE", "CONNECT")
                .map(m -> new Request(m, "?fnId=peer-hello&stepId=step", sign, call));
        Gen<Request> fnIds = HostileInput.hostileSegment().filter(s -> !s.equals("peer-hello"))
                .map(id -> new Request("POST", "?fnId=" + id + "&stepId=step", sign, call));
        Gen<Request> noFnId = Gen.of("", "?stepId=step", "?fnId=&stepId=step", "?fnId", "?fnId=%FF&stepId=step")
                .map(q -> new Request("POST", q, sign, call));
        Map<String, String> inBand = new LinkedHashMap<>(sign);
        inBand.put("X-Inngest-Sync-Kind", "in_band");
        Gen<Request> inBandSyncs = Gen.oneOf(malformedJson("{\"url\":\"http://127.0.0.1:1/api/inngest\"}"),
                        mistyped("{\"url\":\"http://127.0.0.1:1/api/inngest\"}", Map.of("url", "nonblank")),
                        Gen.of("[]", "1", "null").map(s -> s.getBytes(StandardCharsets.UTF_8)))
                .map(b -> new Request("PUT", "", inBand, b));
        return Gen.frequencyOf(Gen.weighted(2, methods), Gen.weighted(3, fnIds), Gen.weighted(1, noFnId), Gen.weighted(3, inBandSyncs));
    }

    private static Gen<String> badSignatures() {
        long now = Instant.now().getEpochSecond();
        byte[] call = CALL.getBytes(StandardCharsets.UTF_8);
        return Gen.oneOf(
                Gen.of("", " ", "garbage", "t=&s=", "t=abc&s=00", "s=00", "t=" + now, "t=" + now + "&s=zz", "t=" + now + "&s=0",
                        "t=99999999999999999999&s=00", "t=-1&s=00", "&&&", "t=" + now + "&s=" + "0".repeat(64)),
                Gen.of(TestApps.STRANGER_).map(k -> Signatures.sign(call, k, Instant.now())),
                Gen.of(600L, 3_600L, -3_600L).map(skew -> Signatures.sign(call, TestApps.KEY_, Instant.now().minusSeconds(skew))),
                Gen.of(1, 2).map(n -> Signatures.sign((CALL + " ").getBytes(StandardCharsets.UTF_8), TestApps.KEY_, Instant.now())),
                // Long, but under a servlet container's header limit (Tomcat: 8 KB), past which the container answers alone.
                Gen.ints(1_000, 6_000).map(n -> "t=" + now + "&s=" + "a".repeat(n)));
    }
}
