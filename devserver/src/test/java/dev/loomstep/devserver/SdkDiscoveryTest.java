package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.undertow.LoomstepServer;
import dev.loomstep.testkit.JsPeer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Apps find the devserver the way users point them at it: through {@code INNGEST_DEV} alone — no
 * {@code .dev(url)}, no API or event origins — then sync, run and send events through it.
 */
@Timeout(90)
class SdkDiscoveryTest {
    DevServer dev;
    Api api;

    @BeforeEach
    void start() {
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.001).start();
        api = new Api(dev);
    }

    @AfterEach
    void stop() {
        dev.close();
    }

    @Test
    void aLoomstepAppConfiguredOnlyByInngestDevSyncsRunsAndSendsEvents() {
        var greet = Function.builder("greet").trigger(Trigger.event("disc/greet")).handler((in, step) -> {
            String who = step.run("who", String.class, () -> in.data().path("name").asText());
            step.sendEvent("tell", Event.of("disc/greeted", Map.of("name", who)));
            return "hello " + who;
        });
        var listener = Function.builder("listener").trigger(Trigger.event("disc/greeted"))
                .handler((in, step) -> "heard " + in.data().path("name").asText());
        Config config = Config.from(Map.of("INNGEST_DEV", dev.url()));
        var app = Loomstep.builder("disc").config(config).functions(greet, listener).build();

        try (var server = LoomstepServer.builder(app).host("127.0.0.1").port(0).start()) {
            server.sync(); // to INNGEST_DEV's /fn/register
            assertEquals(List.of("disc-greet", "disc-listener"), ids(api.get("/v1/functions").get("data")));

            String eventId = app.send(Event.of("disc/greet", Map.of("name", "ada"))).get(0); // the app's event client, dev key
            JsonNode run = api.awaitStatus(api.runOf(eventId), "Completed");
            JsonNode heard = Api.await(() -> api.get("/v1/runs?function=disc-listener&status=Completed").get("data"),
                    d -> d.size() == 1, "the run started by the event the step sent").get(0);

            assertEquals("hello ada", run.get("output").asText(), run.toString());
            assertEquals("heard ada", heard.get("output").asText(), heard.toString());
        }
    }

    @Test
    void aJsAppWithOnlyInngestDevInItsEnvironmentSyncsRunsAndSendsEvents() {
        // "localhost", as SDK defaults say it: whichever address Node resolves it to, the devserver answers.
        String devUrl = "http://localhost:" + dev.port();
        try (JsPeer peer = JsPeer.start(Map.of("INNGEST_DEV", devUrl))) {
            JsPeer.Response sync = peer.put(null, Map.of()); // the JS SDK registers itself with INNGEST_DEV
            assertEquals(200, sync.status(), sync.body() + "\n" + peer.recentOutput());
            Api.await(() -> api.get("/v1/apps").get("data"), d -> ids(d).contains("peer"), "the JS app synced");

            JsonNode run = api.awaitStatus(api.runOf(api.send("peer/send", Map.of())), "Completed");

            JsonNode ids = run.get("output").get("two").get("ids");
            assertEquals(2, ids.size(), run.toString());
            assertEquals("peer/sent", api.get("/v1/events/" + ids.get(0).asText()).get("data").get("name").asText(),
                    "the JS SDK sent its events to INNGEST_DEV");
            assertTrue(api.get("/dev").get("checkpoints").get("accepted").asInt() > 0,
                    "the JS SDK checkpointed its steps to INNGEST_DEV: " + api.get("/dev").get("checkpoints"));
        }
    }

    @Test
    void onTheLoopbackDefaultTheDevserverAlsoAnswersOnIpv6Loopback() throws Exception {
        assertEquals(200, get(dev.url() + "/health"));
        Assumptions.assumeTrue(hasIpv6Loopback(), "this machine has no IPv6 loopback (::1): nothing more to check");

        assertEquals(200, get("http://[::1]:" + dev.port() + "/health"), "SDKs resolving localhost to ::1 reach it too");
    }

    /** The sorted {@code id}s of a list's items. */
    private static List<String> ids(JsonNode items) {
        var out = new java.util.ArrayList<String>();
        items.forEach(i -> out.add(i.get("id").asText()));
        return out.stream().sorted().toList();
    }

    private static boolean hasIpv6Loopback() {
        try (var s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int get(String url) throws Exception {
        try (var http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }
}
