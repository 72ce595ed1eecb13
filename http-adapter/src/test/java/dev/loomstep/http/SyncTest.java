package dev.loomstep.http;

import static dev.loomstep.http.TestApps.FALLBACK_;
import static dev.loomstep.http.TestApps.KEY_;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.protocol.Json;
import dev.loomstep.undertow.LoomstepServer;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** PUT: out-of-band sync against a small register endpoint, in-band sync, and the programmatic sync. */
class SyncTest extends AdapterTestBase {
    static final RecordingServer.Answer REGISTERED = new RecordingServer.Answer(200, "{\"ok\":true,\"modified\":true}");

    static JsonNode json(RecordingServer.Recorded r) {
        try {
            return Json.mapper().readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError(r.text(), e);
        }
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void putRegistersTheWholeAppWithTheExecutorAndAnswersMessageAndModified(Served.Adapter adapter) {
        var executor = track(RecordingServer.replying(REGISTERED));
        var served = serve(adapter, apps.app(TestApps.dev(executor.origin())));

        var reply = TestHttp.send("PUT", served.url() + "?deployId=d-42", Map.of("X-Inngest-Server-Kind", "dev"), (byte[]) null);

        assertEquals(200, reply.status(), reply.body());
        assertProtocolHeaders(reply, adapter);
        assertEquals("out_of_band", reply.header("X-Inngest-Sync-Kind"));
        assertEquals(List.of("message", "modified"), IntrospectionTest.keys(reply.json()));
        assertEquals(true, reply.json().get("modified").asBoolean());

        var requests = executor.requests();
        assertEquals(1, requests.size());
        var register = requests.get(0);
        assertEquals("POST", register.method());
        assertEquals("/fn/register?deployId=d-42", register.pathAndQuery(), "deployId is forwarded");
        assertEquals("loomstep:v0.1.0", register.header("X-Inngest-Sdk"));
        assertEquals("dev", register.header("X-Inngest-Expected-Server-Kind"), "X-Inngest-Server-Kind is forwarded as expected kind");
        assertEquals(adapter.framework(), register.header("X-Inngest-Framework"));
        assertNull(register.header("Authorization"), "no key, no bearer");

        JsonNode body = json(register);
        assertEquals(served.url(), body.get("url").asText(), "the URL the request reached, without deployId");
        assertEquals("ping", body.get("deployType").asText());
        assertEquals("0.1", body.get("v").asText());
        assertEquals("peer", body.get("appName").asText());
        assertEquals("loomstep:v0.1.0", body.get("sdk").asText());
        assertEquals(adapter.framework(), body.get("framework").asText());
        assertEquals("d-42", body.get("deployId").asText());
        assertEquals(3, body.get("functions").size());
        JsonNode hello = body.get("functions").get(0);
        assertEquals("peer-hello", hello.get("id").asText());
        assertEquals("demo/hello", hello.get("triggers").get(0).get("event").asText());
        assertEquals(served.url() + "?fnId=peer-hello&stepId=step", hello.get("steps").get("step").get("runtime").get("url").asText());
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void cloudSyncAuthenticatesWithTheHashedKeyAndTriesTheFallbackWhenRefused(Served.Adapter adapter) {
        var executor = track(RecordingServer.replying(new RecordingServer.Answer(401, "{\"error\":\"bad token\"}"), REGISTERED));
        var served = serve(adapter, apps.app(TestApps.cloud(executor.origin(), TestApps.KEY, TestApps.FALLBACK)));

        var reply = TestHttp.send("PUT", served.url(), Map.of(), (byte[]) null);

        assertEquals(200, reply.status(), reply.body());
        var requests = executor.requests();
        assertEquals(2, requests.size());
        assertEquals("Bearer " + KEY_.bearerToken(), requests.get(0).header("Authorization"));
        assertEquals("Bearer " + FALLBACK_.bearerToken(), requests.get(1).header("Authorization"));
        // An unsigned PUT is allowed to start a sync, but its caller learns nothing about the SDK.
        assertNoIdentityHeaders(reply);
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void aSignedCloudSyncGetsASignedAnswer(Served.Adapter adapter) {
        var executor = track(RecordingServer.replying(REGISTERED));
        var served = serve(adapter, apps.app(TestApps.cloud(executor.origin(), TestApps.KEY, null)));
        var reply = TestHttp.send("PUT", served.url(), signed(new byte[0], KEY_), (byte[]) null);
        assertEquals(200, reply.status(), reply.body());
        assertProtocolHeaders(reply, adapter);
        assertSignedWith(reply, KEY_);
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void anExecutorRefusalBecomes500WithItsMessage(Served.Adapter adapter) {
        var executor = track(RecordingServer.replying(new RecordingServer.Answer(400, "{\"error\":\"function peer-hello: invalid cron\"}")));
        var served = serve(adapter, apps.app(TestApps.dev(executor.origin())));
        var reply = TestHttp.send("PUT", served.url(), Map.of(), (byte[]) null);
        assertEquals(500, reply.status(), reply.body());
        assertEquals("function peer-hello: invalid cron", reply.json().get("message").asText());
        assertEquals(false, reply.json().get("modified").asBoolean());
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void anUnreachableExecutorBecomes500SayingSo(Served.Adapter adapter) {
        var served = serve(adapter, apps.app(TestApps.dev("http://127.0.0.1:1")));
        var reply = TestHttp.send("PUT", served.url(), Map.of(), (byte[]) null);
        assertEquals(500, reply.status(), reply.body());
        assertTrue(reply.json().get("message").asText().contains("did not answer"), reply.body());
        // The JDK's refused connection has no message of its own: the line must still say what happened.
        assertTrue(reply.json().get("message").asText().contains("ConnectException"), reply.body());
        assertFalse(reply.json().get("message").asText().contains("null"), reply.body());
        assertFalse(reply.body().contains("\n"));
    }

    @Test
    void theConfiguredServeOriginAndPathReplaceTheRequests() {
        var executor = track(RecordingServer.replying(REGISTERED));
        var config = Config.from(Map.of("INNGEST_DEV", executor.origin(),
                "INNGEST_SERVE_ORIGIN", "https://shop.example.com/", "INNGEST_SERVE_PATH", "/public/inngest"));
        var served = serve(Served.Adapter.SERVER, apps.app(config));
        assertEquals(200, TestHttp.send("PUT", served.url() + "?deployId=x&keep=1", Map.of(), (byte[]) null).status());
        assertEquals("https://shop.example.com/public/inngest?keep=1", json(executor.requests().get(0)).get("url").asText());
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void inBandSyncAnswersTheAppConfigurationWithoutCallingTheExecutor(Served.Adapter adapter) {
        var executor = track(RecordingServer.replying(REGISTERED));
        var served = serve(adapter, apps.app(TestApps.dev(executor.origin())));
        byte[] body = utf8("{\"url\":\"https://shop.example.com/api/inngest\"}");

        var reply = TestHttp.send("PUT", served.url(), Map.of("X-Inngest-Sync-Kind", "in_band"), body);

        assertEquals(200, reply.status(), reply.body());
        assertEquals("in_band", reply.header("X-Inngest-Sync-Kind"));
        assertProtocolHeaders(reply, adapter);
        JsonNode json = reply.json();
        assertEquals("peer", json.get("app_id").asText());
        assertEquals("https://shop.example.com/api/inngest", json.get("url").asText());
        assertEquals("loomstep:v0.1.0", json.get("sdk").asText());
        assertEquals(3, json.get("functions").size());
        assertEquals("dev", json.get("inspection").get("mode").asText());
        assertTrue(executor.requests().isEmpty());
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void inBandSyncInCloudModeNeedsAValidSignatureAndIsSignedBack(Served.Adapter adapter) {
        var served = serve(adapter, apps.cloudApp());
        byte[] body = utf8("{\"url\":\"https://shop.example.com/api/inngest\"}");
        var unsigned = TestHttp.send("PUT", served.url(), Map.of("X-Inngest-Sync-Kind", "in_band"), body);
        assertOneLineError(unsigned, 401);
        assertNoIdentityHeaders(unsigned);

        var headers = new java.util.HashMap<>(signed(body, KEY_));
        headers.put("X-Inngest-Sync-Kind", "in_band");
        var reply = TestHttp.send("PUT", served.url(), headers, body);
        assertEquals(200, reply.status(), reply.body());
        assertSignedWith(reply, KEY_);
        assertEquals(KEY_.hashedTail().substring(0, 12), reply.json().get("inspection").get("signing_key_hash").asText());
    }

    @ParameterizedTest
    @EnumSource(Served.Adapter.class)
    void inBandSyncWithoutAUrlIs400(Served.Adapter adapter) {
        var served = serve(adapter, apps.devApp());
        for (String body : List.of("", "{}", "{\"url\":42}", "{\"url\":")) {
            var reply = TestHttp.send("PUT", served.url(), Map.of("X-Inngest-Sync-Kind", "in_band"), utf8(body));
            assertOneLineError(reply, 400);
        }
    }

    @Test
    void inBandSyncCanBeTurnedOffAndThenSyncsOutOfBand() {
        var executor = track(RecordingServer.replying(REGISTERED));
        var served = serve(Served.Adapter.SERVER, apps.app(TestApps.dev(executor.origin())), ServeOptions.defaults().allowInBandSync(false));
        var reply = TestHttp.send("PUT", served.url(), Map.of("X-Inngest-Sync-Kind", "in_band"), utf8("{\"url\":\"https://x/api\"}"));
        assertEquals("out_of_band", reply.header("X-Inngest-Sync-Kind"));
        assertEquals(1, executor.requests().size());
    }

    @Test
    void theServerCanRegisterWithADevServerWithoutAPut() {
        var executor = track(RecordingServer.replying(REGISTERED));
        var server = track(LoomstepServer.builder(apps.devApp()).host("127.0.0.1").port(0).start());
        SyncResult result = server.register(executor.origin());
        assertTrue(result.modified());
        var register = executor.requests().get(0);
        assertEquals("/fn/register", register.pathAndQuery());
        assertEquals(server.url(), json(register).get("url").asText());
    }

    @Test
    void programmaticSyncUsesTheConfiguredApiOriginAndThrowsTheExecutorsMessage() {
        var executor = track(RecordingServer.replying(new RecordingServer.Answer(400, "{\"error\":\"app id taken\"}")));
        var server = track(LoomstepServer.builder(apps.app(TestApps.dev(executor.origin()))).host("127.0.0.1").port(0).start());
        var e = assertThrows(SyncException.class, server::sync);
        assertEquals("app id taken", e.getMessage());
        assertEquals(400, e.executorStatus());
        assertEquals(1, executor.requests().size());
    }

    @Test
    void aRefusedKeyIsNamedByItsHashNeverByItselfWithTheExecutorsMessage() {
        var refusal = new RecordingServer.Answer(401, "{\"error\":\"unauthorized: send Authorization: Bearer with this server's signing key\"}");
        var executor = track(RecordingServer.replying(refusal, refusal));
        var server = track(LoomstepServer.builder(apps.app(TestApps.cloud(executor.origin(), TestApps.KEY, TestApps.FALLBACK)))
                .host("127.0.0.1").port(0).start());

        var e = assertThrows(SyncException.class, server::sync);

        assertEquals(401, e.executorStatus());
        String m = e.getMessage();
        assertTrue(m.contains("refused the bearer token of INNGEST_SIGNING_KEY (hash " + KEY_.hashedTail().substring(0, 12)), m);
        assertTrue(m.contains("then of INNGEST_SIGNING_KEY_FALLBACK (hash " + FALLBACK_.hashedTail().substring(0, 12)), m);
        assertTrue(m.contains("send Authorization: Bearer with this server's signing key"), "the executor's own words: " + m);
        assertTrue(m.contains("--signing-key"), "what to check: " + m);
        assertFalse(m.contains(KEY_.tail()) || m.contains(KEY_.bearerToken()) || m.contains(FALLBACK_.tail()), "never the key: " + m);
        assertFalse(m.contains("\n"), m);
    }
}
