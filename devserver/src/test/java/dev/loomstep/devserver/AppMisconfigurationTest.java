package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.http.SyncException;
import dev.loomstep.undertow.LoomstepServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Apps that refuse every call for a reason no retry heals — a signing key that is not the devserver's, or
 * none in cloud mode — fail the run at once with what to fix, and the apps list shows them failing, not
 * "synced". Real HTTP on loopback, the devserver in-process.
 */
@Timeout(60)
class AppMisconfigurationTest {
    final List<AutoCloseable> open = new ArrayList<>();
    final AtomicInteger bodies = new AtomicInteger();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    Function<?, ?> fn() {
        return Function.builder("work").trigger(Trigger.event("shop/go")).retries(3).handler((in, step) -> {
            bodies.incrementAndGet();
            return 1;
        });
    }

    static JsonNode app(Api api, String id) {
        for (JsonNode a : api.get("/v1/apps").get("data")) {
            if (a.get("id").asText().equals(id)) {
                return a;
            }
        }
        throw new AssertionError("no app " + id + " in " + api.get("/v1/apps"));
    }

    @Test
    void anAppHoldingAnotherSigningKeyFailsTheRunAtOnceAndIsShownFailing() {
        var dev = track(DevServer.builder().production().port(0).inMemory().retryDelayScale(0.001)
                .signingKey(ProductionModeTest.SIGNING_KEY).eventKey(ProductionModeTest.EVENT_KEY).start());
        Api api = new Api(dev);
        // The app was synced with the right key, then restarted with another (a rotated key, a wrong secret).
        var stale = Loomstep.builder("shop").config(Config.from(Map.of("INNGEST_BASE_URL", dev.url(),
                "INNGEST_SIGNING_KEY", ProductionModeTest.OTHER_KEY))).functions(fn()).build();
        var served = track(LoomstepServer.builder(stale).host("127.0.0.1").port(0).start());
        var syncing = Loomstep.builder("shop").config(Config.from(Map.of("INNGEST_BASE_URL", dev.url(),
                "INNGEST_SIGNING_KEY", ProductionModeTest.SIGNING_KEY, "INNGEST_SERVE_ORIGIN", "http://127.0.0.1:" + served.port())))
                .functions(fn()).build();
        track(LoomstepServer.builder(syncing).host("127.0.0.1").port(0).start()).sync();
        // Its introspection, signed with the devserver's key, is refused: failing from the sync on, before any run.
        JsonNode synced = awaitAppStatus(api, "shop", "failing");
        assertTrue(synced.get("last_call_error").asText().contains("refused this devserver's signature"), synced.toString());

        JsonNode run = api.awaitStatus(api.runOf(api.send("shop/go", Map.of())), "Failed");

        String error = run.get("error").toString();
        assertTrue(error.contains("ConfigurationError") && error.contains("refused this devserver's signature")
                && error.contains("--signing-key"), run.toString());
        JsonNode app = app(api, "shop");
        assertEquals("failing", app.get("sync_status").asText(), app.toString());
        assertTrue(app.get("last_call_error").asText().contains("refused this devserver's signature"), app.toString());
        assertEquals(0, bodies.get());
    }

    @Test
    void anAppInCloudModeWithoutASigningKeyFailsTheRunAtOnceAndIsShownFailing() {
        var dev = track(DevServer.builder().port(0).inMemory().retryDelayScale(0.001).start());
        Api api = new Api(dev);
        // Cloud mode (no INNGEST_DEV) and no key: it syncs with a devserver in dev mode, then refuses every call.
        var keyless = Loomstep.builder("shop").config(Config.from(Map.of("INNGEST_BASE_URL", dev.url()))).functions(fn()).build();
        track(LoomstepServer.builder(keyless).host("127.0.0.1").port(0).start()).sync();

        JsonNode run = api.awaitStatus(api.runOf(api.send("shop/go", Map.of())), "Failed");

        String error = run.get("error").toString();
        assertTrue(error.contains("ConfigurationError") && error.contains("has no signing key")
                && error.contains("INNGEST_DEV=1"), run.toString());
        JsonNode app = app(api, "shop");
        assertEquals("failing", app.get("sync_status").asText(), app.toString());
        assertTrue(app.get("last_call_error").asText().contains("has no signing key"), app.toString());
    }

    /** Polls the apps list until app {@code id} shows {@code status} (the inspection after a sync runs on its own thread). */
    static JsonNode awaitAppStatus(Api api, String id, String status) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        JsonNode app = app(api, id);
        while (!status.equals(app.get("sync_status").asText()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            app = app(api, id);
        }
        assertEquals(status, app.get("sync_status").asText(), app.toString());
        return app;
    }

    @Test
    void anAppInCloudModeWithoutASigningKeyIsShownFailingFromItsSyncBeforeAnyRun() {
        var dev = track(DevServer.builder().port(0).inMemory().start());
        Api api = new Api(dev);
        var keyless = Loomstep.builder("shop").config(Config.from(Map.of("INNGEST_BASE_URL", dev.url()))).functions(fn()).build();
        track(LoomstepServer.builder(keyless).host("127.0.0.1").port(0).start()).sync();

        JsonNode app = awaitAppStatus(api, "shop", "failing");

        assertTrue(app.get("last_call_error").asText().contains("has no signing key")
                && app.get("last_call_error").asText().contains("INNGEST_DEV=1"), app.toString());
        assertEquals(0, api.get("/v1/runs").get("data").size(), "no run was needed to find it");
    }

    @Test
    void aFailingAppIsShownSyncedAgainWhenItSyncsWithTheRightKeyBeforeAnyCall() {
        var dev = track(DevServer.builder().production().port(0).inMemory()
                .signingKey(ProductionModeTest.SIGNING_KEY).eventKey(ProductionModeTest.EVENT_KEY).start());
        Api api = new Api(dev);
        var stale = Loomstep.builder("shop").config(Config.from(Map.of("INNGEST_BASE_URL", dev.url(),
                "INNGEST_SIGNING_KEY", ProductionModeTest.OTHER_KEY))).functions(fn()).build();
        var staleServer = track(LoomstepServer.builder(stale).host("127.0.0.1").port(0).start());
        var syncing = Loomstep.builder("shop").config(Config.from(Map.of("INNGEST_BASE_URL", dev.url(),
                "INNGEST_SIGNING_KEY", ProductionModeTest.SIGNING_KEY, "INNGEST_SERVE_ORIGIN", "http://127.0.0.1:" + staleServer.port())))
                .functions(fn()).build();
        track(LoomstepServer.builder(syncing).host("127.0.0.1").port(0).start()).sync();
        awaitAppStatus(api, "shop", "failing");

        // Fixed: the app is served with the right key and syncs again; its introspection is accepted.
        var fixed = Loomstep.builder("shop").config(Config.from(Map.of("INNGEST_BASE_URL", dev.url(),
                "INNGEST_SIGNING_KEY", ProductionModeTest.SIGNING_KEY))).functions(fn()).build();
        track(LoomstepServer.builder(fixed).host("127.0.0.1").port(0).start()).sync();

        JsonNode app = awaitAppStatus(api, "shop", "synced");
        assertTrue(app.get("last_call_error").isNull(), app.toString());
        api.awaitStatus(api.runOf(api.send("shop/go", Map.of())), "Completed");
        assertEquals("synced", app(api, "shop").get("sync_status").asText());
    }

    @Test
    void anAppInCloudModeCalledByADevModeDevserverFailsTheRunAtOnceSayingWhichModeToChange() {
        var dev = track(DevServer.builder().port(0).inMemory().retryDelayScale(0.001).start());
        Api api = new Api(dev);
        var cloud = Loomstep.builder("shop").config(Config.from(Map.of("INNGEST_BASE_URL", dev.url(),
                "INNGEST_SIGNING_KEY", ProductionModeTest.SIGNING_KEY))).functions(fn()).build();
        track(LoomstepServer.builder(cloud).host("127.0.0.1").port(0).start()).sync();

        JsonNode run = api.awaitStatus(api.runOf(api.send("shop/go", Map.of())), "Failed");

        String error = run.get("error").toString();
        assertTrue(error.contains("ConfigurationError") && error.contains("refused this devserver's unsigned call")
                && error.contains("missing X-Inngest-Signature header") && error.contains("INNGEST_DEV=1"), run.toString());
        assertEquals("failing", app(api, "shop").get("sync_status").asText());
        assertEquals(0, bodies.get());
    }

    @Test
    void anHttpAppSyncingTheAppIdOfConnectWorkersIsRefusedNamingBoth() {
        var dev = track(DevServer.builder().port(0).connectPort(0).inMemory().start());
        Api api = new Api(dev);
        track(LoomstepConnectWorker.start(dev, "w-1", false));
        JsonNode before = app(api, "conn");
        assertEquals("connect", before.get("connection_type").asText(), before.toString());
        int functions = before.get("function_count").asInt();

        var http = Loomstep.builder("conn").config(Config.from(Map.of("INNGEST_DEV", dev.url()))).functions(fn()).build();
        var served = track(LoomstepServer.builder(http).host("127.0.0.1").port(0).start());
        var e = assertThrows(SyncException.class, () -> served.register(dev.url()));

        assertEquals(409, e.executorStatus(), e.getMessage());
        assertTrue(e.getMessage().contains("app \"conn\" is served by 1 Connect worker(s)")
                && e.getMessage().contains("the HTTP app at " + served.url()), e.getMessage());
        JsonNode after = app(api, "conn");
        assertEquals("connect", after.get("connection_type").asText(), "the workers keep their app: " + after);
        assertEquals(functions, after.get("function_count").asInt(), after.toString());
        assertEquals("error", after.get("sync_status").asText(), after.toString());
        assertTrue(after.get("last_sync_error").asText().contains("would replace their functions"), after.toString());
    }

    @Test
    void aConnectWorkerWithTheAppIdOfAnHttpAppIsRefusedAndTheHttpAppKeepsItsFunctions() {
        var dev = track(DevServer.builder().port(0).connectPort(0).inMemory().start());
        Api api = new Api(dev);
        var http = Loomstep.builder("conn").config(Config.from(Map.of("INNGEST_DEV", dev.url()))).functions(fn()).build();
        var served = track(LoomstepServer.builder(http).host("127.0.0.1").port(0).start());
        served.register(dev.url());

        // The worker learns why at once, from the gateway's SYNC_FAILED, instead of retrying the same app until it times out.
        var refused = assertThrows(dev.loomstep.connect.ConnectException.class, () -> LoomstepConnectWorker.start(dev, "w-1", false));
        assertTrue(refused.getMessage().contains("the gateway refused the app's sync: app \"conn\" is an HTTP app at "
                + served.url()), refused.getMessage());

        JsonNode app = app(api, "conn");
        assertEquals("http", app.get("connection_type").asText(), "the HTTP app keeps its id: " + app);
        assertEquals(served.url(), app.get("url").asText(), app.toString());
        assertEquals(1, app.get("function_count").asInt(), app.toString());
        String error = app.get("last_sync_error").asText();
        assertTrue(error.contains("app \"conn\" is an HTTP app at " + served.url())
                && error.contains("a Connect worker") && error.contains("would replace its functions"), app.toString());
    }
}
