package dev.loomstep.http;

import static dev.loomstep.http.TestApps.FALLBACK_;
import static dev.loomstep.http.TestApps.KEY_;
import static dev.loomstep.http.TestApps.STRANGER_;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** GET: the spec's introspection bodies, signed and unsigned, over each adapter. */
class IntrospectionTest extends AdapterTestBase {

    static List<String> keys(JsonNode json) {
        var names = new ArrayList<String>();
        json.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void devModeAnswersTheUnauthenticatedBodyWithTheProtocolHeaders(Served.Adapter adapter) {
        var served = serve(adapter, apps.devApp());
        var reply = TestHttp.get(served.url());
        assertEquals(200, reply.status(), reply.body());
        assertProtocolHeaders(reply, adapter);
        JsonNode json = reply.json();
        assertEquals(List.of("function_count", "has_event_key", "has_signing_key", "mode"), keys(json));
        assertEquals(3, json.get("function_count").asInt());
        assertEquals("dev", json.get("mode").asText());
        assertEquals(false, json.get("has_signing_key").asBoolean());
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void cloudModeAnswersTheAuthenticatedBodyToASignedRequestAndSignsIt(Served.Adapter adapter) {
        var served = serve(adapter, apps.cloudApp());
        var reply = TestHttp.send("GET", served.url(), signed(new byte[0], KEY_), (byte[]) null);
        assertEquals(200, reply.status(), reply.body());
        assertProtocolHeaders(reply, adapter);
        assertSignedWith(reply, KEY_);
        JsonNode json = reply.json();
        assertEquals(List.of("extra", "function_count", "has_event_key", "has_signing_key", "mode",
                "signing_key_fallback_hash", "signing_key_hash"), keys(json), "the spec's keys and no others");
        assertEquals("cloud", json.get("mode").asText());
        assertEquals(true, json.get("has_signing_key").asBoolean());
        assertEquals(true, json.get("has_event_key").asBoolean());
        // The first 12 hex digits of each hashed key, as the JS SDK reports them; never the bearer token itself.
        assertEquals(KEY_.hashedTail().substring(0, 12), json.get("signing_key_hash").asText());
        assertEquals(FALLBACK_.hashedTail().substring(0, 12), json.get("signing_key_fallback_hash").asText());
        assertEquals(true, json.get("extra").get("authentication_succeeded").asBoolean());
        assertEquals("java", json.get("extra").get("sdk_language").asText());
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void cloudModeAcceptsARequestSignedWithTheFallbackKeyAndSignsTheAnswerWithIt(Served.Adapter adapter) {
        var served = serve(adapter, apps.cloudApp());
        var reply = TestHttp.send("GET", served.url(), signed(new byte[0], FALLBACK_), (byte[]) null);
        assertEquals(200, reply.status(), reply.body());
        assertSignedWith(reply, FALLBACK_);
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void cloudModeRefusesUnsignedWronglySignedAndStaleIntrospectionWith401(Served.Adapter adapter) {
        // Spec §4.5 describes an unauthenticated body for this case; JS 4.24 and Go 0.16 answer 401, and so do we.
        var served = serve(adapter, apps.cloudApp());
        var cases = Map.of(
                "missing", Map.<String, String>of(),
                "does not match", signed(new byte[0], STRANGER_),
                "expired", signed(new byte[0], KEY_, Instant.now().minusSeconds(301)),
                "malformed", Map.of("X-Inngest-Signature", "t=now&s=nope"));
        cases.forEach((reason, headers) -> {
            var reply = TestHttp.send("GET", served.url(), headers, (byte[]) null);
            String message = assertOneLineError(reply, 401);
            assertTrue(message.startsWith("Unauthorized: ") && message.contains(reason), reason + " -> " + message);
            assertNoIdentityHeaders(reply);
        });
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void cloudModeWithoutASigningKeyRefusesEveryRequestWith500NamingBothWaysToChooseDevModeAndTheCloudKey(Served.Adapter adapter) {
        var served = serve(adapter, apps.app(TestApps.cloud(null, null, null)));
        for (String method : List.of("GET", "PUT", "POST")) {
            var reply = TestHttp.send(method, served.url() + "?fnId=peer-hello", Map.of(), utf8("{}"));
            String message = assertOneLineError(reply, 500);
            for (String advice : List.of("no signing key", "INNGEST_DEV=1", "Loomstep.builder(..).dev(", "INNGEST_SIGNING_KEY")) {
                assertTrue(message.contains(advice), advice + " in: " + message);
            }
        }
    }
}
