package dev.loomstep.spring;

import static dev.loomstep.spring.DevServerRest.awaitRun;
import static dev.loomstep.spring.DevServerRest.get;
import static dev.loomstep.spring.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.connect.ConnectionState;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.http.EventClient;
import dev.loomstep.testkit.Teardown;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * {@code loomstep.connect.enabled=true}: a real Spring Boot application (without a web server, or on
 * Tomcat) whose Function beans are served by the LoomstepConnect worker over the real devserver's
 * Connect gateway (a free port) on loopback: runs complete, closing the context drains a step in flight,
 * and the health indicator follows the worker's connection. Run by both starters (Boot 3 and Boot 4),
 * the indicator read through each one's {@code BootHealthApi}.
 */
@Timeout(120)
class LoomstepConnectAutoConfigurationTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    record Greeting(String name) {}

    /** Lets a test hold a step in flight: the step counts itself, says it started, and waits to be released. */
    static final class Gate {
        static volatile CountDownLatch started = new CountDownLatch(1);
        static volatile CountDownLatch release = new CountDownLatch(1);
        static final AtomicInteger runs = new AtomicInteger();

        static void reset() {
            started = new CountDownLatch(1);
            release = new CountDownLatch(1);
            runs.set(0);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class WorkerApp {
        @Bean
        Function<Greeting, String> greet() {
            return Function.builder("greet").trigger(Trigger.event("shop/greet"))
                    .handler(Greeting.class, (input, step) -> step.run("hello", String.class, () -> "hello " + input.data().name()));
        }

        @Bean
        Function<Greeting, String> slow() {
            return Function.builder("slow").trigger(Trigger.event("shop/slow"))
                    .handler(Greeting.class, (input, step) -> step.run("held", String.class, () -> {
                        Gate.runs.incrementAndGet();
                        Gate.started.countDown();
                        if (!Gate.release.await(60, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("never released");
                        }
                        return "done " + input.data().name();
                    }));
        }
    }

    DevServer dev;
    ConfigurableApplicationContext spring;

    @AfterEach
    void stop() {
        Gate.release.countDown();
        Teardown.closeAll(spring, dev);
    }

    ConfigurableApplicationContext start(WebApplicationType type, String devServerUrl, String... more) {
        return new SpringApplicationBuilder(WorkerApp.class).web(type).properties(
                "server.port=0",
                "loomstep.app-id=shop",
                "loomstep.dev-server-url=" + devServerUrl,
                "loomstep.connect.enabled=true",
                "management.endpoints.web.exposure.include=health",
                "management.endpoint.health.show-details=always").properties(more).run();
    }

    @Test
    void aNonWebApplicationServesItsFunctionsOverConnectAndTheirRunsComplete() throws Exception {
        dev = DevServer.builder().port(0).connectPort(0).inMemory().start();
        spring = start(WebApplicationType.NONE, dev.url(), "loomstep.connect.instance-id=worker-1", "loomstep.connect.max-concurrency=4");
        assertNull(WebServerPort.of(spring), "no web server");
        var worker = spring.getBean(LoomstepConnectWorker.class);
        await("the worker is connected", () -> worker.state() == ConnectionState.ACTIVE);
        assertTrue(spring.getBeansOfType(LoomstepSync.class).isEmpty(), "no HTTP sync when Connect serves the app");
        Thread keeper = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("loomstep-connect")).findFirst().orElseThrow();
        assertFalse(keeper.isDaemon(), "a non-web application's JVM stays up while the worker serves");

        JsonNode app = null;
        for (JsonNode a : get(dev.url() + "/v1/apps").path("data")) {
            if ("shop".equals(a.path("id").asText())) {
                app = a;
            }
        }
        assertTrue(app != null, "the worker's connection synced the app");
        assertEquals("connect", app.path("connection_type").asText(), app.toString());
        assertEquals(2, app.path("function_count").asInt(), app.toString());
        assertEquals("worker-1", app.path("connections").path(0).path("instance_id").asText(), app.toString());
        assertEquals(4, app.path("connections").path(0).path("max_concurrency").asInt(), app.toString());

        String eventId = spring.getBean(EventClient.class).send(Event.of("shop/greet", new Greeting("ada"))).get(0);
        JsonNode run = awaitRun(dev, eventId, "Completed");
        assertEquals("hello ada", run.path("output").asText(), run.toString());

        IndicatorHealth health = IndicatorHealth.of(spring).get();
        assertEquals("UP", health.status(), health.toString());
        assertEquals("ACTIVE", health.details().get("state"), health.toString());
        assertEquals("connect", health.details().get("servedBy"), health.toString());
    }

    @Test
    void closingTheContextDrainsAStepInFlightBeforeTheWorkerCloses() throws Exception {
        Gate.reset();
        dev = DevServer.builder().port(0).connectPort(0).inMemory().start();
        spring = start(WebApplicationType.NONE, dev.url());
        var worker = spring.getBean(LoomstepConnectWorker.class);
        var health = IndicatorHealth.of(spring);
        await("the worker is connected", () -> worker.state() == ConnectionState.ACTIVE);
        String eventId = spring.getBean(EventClient.class).send(Event.of("shop/slow", new Greeting("grace"))).get(0);
        assertTrue(Gate.started.await(30, TimeUnit.SECONDS), "the step started");

        var closing = spring;
        CompletableFuture<Void> closed = CompletableFuture.runAsync(closing::close);
        await("the worker drains", () -> worker.state() == ConnectionState.PAUSED);
        assertEquals("OUT_OF_SERVICE", health.get().status());
        assertFalse(closed.isDone(), "the context waits for the step in flight");

        Gate.release.countDown();
        closed.get(30, TimeUnit.SECONDS);
        spring = null;
        assertEquals(ConnectionState.CLOSED, worker.state());
        JsonNode run = awaitRun(dev, eventId, "Completed");
        assertEquals("done grace", run.path("output").asText(), run.toString());
        assertEquals(1, Gate.runs.get(), "the step ran once: its reply was delivered during the drain");
    }

    @Test
    void theHealthEndpointFollowsTheWorkerFromNoGatewayToConnectedToLost() throws Exception {
        int port = StarterAppTest.closedPort();
        String devUrl = "http://127.0.0.1:" + port;
        spring = start(WebApplicationType.SERVLET, devUrl, "loomstep.connect.connect-timeout=1s");
        String base = StarterAppTest.base(spring);

        JsonNode down = awaitHealth(base, h -> IndicatorHealth.detailsIn(h).has("connectError"));
        assertEquals("DOWN", down.path("status").asText(), down.toString());
        assertEquals("connect", IndicatorHealth.detailsIn(down).path("servedBy").asText(), down.toString());
        var endpoint = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/inngest")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, endpoint.statusCode(), "Connect replaces the HTTP endpoint: " + endpoint.body());

        // The gateway comes up after the app: the worker's next try connects.
        dev = DevServer.builder().port(port).connectPort(0).inMemory().start();
        JsonNode up = awaitHealth(base, h -> "UP".equals(h.path("status").asText()));
        assertEquals("ACTIVE", IndicatorHealth.detailsIn(up).path("state").asText(), up.toString());
        assertFalse(IndicatorHealth.detailsIn(up).has("connectError"), up.toString());

        dev.close();
        dev = null;
        JsonNode lost = awaitHealth(base, h -> "DOWN".equals(h.path("status").asText()));
        assertEquals("RECONNECTING", IndicatorHealth.detailsIn(lost).path("state").asText(), lost.toString());
    }

    @Test
    void aConfigurationNoTryCanFixIsOneErrorAndHealthDownWithTheReasonAndTheApplicationStillStarts() throws Exception {
        // A branch environment's key without INNGEST_ENV: the worker refuses it before any connection.
        spring = new SpringApplicationBuilder(WorkerApp.class).web(WebApplicationType.NONE).properties(
                "loomstep.app-id=shop", "loomstep.dev=false", "loomstep.signing-key=signkey-branch-0123456789abcdef",
                "loomstep.connect.enabled=true").run();
        IndicatorHealth h = IndicatorHealth.of(spring).get();
        assertEquals("DOWN", h.status(), h.toString());
        assertTrue(String.valueOf(h.details().get("connectError")).contains("INNGEST_ENV"), h.toString());
        assertEquals("NOT_STARTED", h.details().get("state"), h.toString());
    }

    JsonNode awaitHealth(String base, java.util.function.Predicate<JsonNode> until) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            last = get(base + "/actuator/health/loomstep");
            if (until.test(last)) {
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("health never got there within 60 s: " + last);
    }
}
