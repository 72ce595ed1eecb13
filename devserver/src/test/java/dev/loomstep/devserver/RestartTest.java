package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.sleepJs;
import static dev.loomstep.devserver.FakeSdk.stepRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForSignal;
import dev.loomstep.undertow.LoomstepServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Durability: a devserver reopened on the same database file resumes every run where it stopped. */
@Timeout(30)
class RestartTest {
    @TempDir
    Path dir;

    @Test
    void resumesASleepingRunAfterARestartOnTheSameDatabaseFile() throws Exception {
        Path db = dir.resolve("dev.db");
        var aRuns = new AtomicInteger();
        try (FakeSdk sdk = new FakeSdk("app")) {
            sdk.fn("nap").on("test/nap").handler(c -> {
                if (!c.has("a")) {
                    aRuns.incrementAndGet();
                    return ops(stepRun("a", "before"));
                }
                if (!c.has("nap")) {
                    return ops(sleepJs("nap", "700ms"));
                }
                return done(c.data("a").asText() + " and after");
            });
            String runId;
            try (DevServer first = DevServer.builder().port(0).database(db).retryDelayScale(0.001).start()) {
                sdk.sync(first);
                Api api = new Api(first);
                runId = api.runOf(api.send("test/nap", Map.of()));
                Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 2 && s.get(1).get("op").asText().equals("Sleep"),
                        "the run to sleep");
            }
            assertTrue(Files.size(db) > 0);

            try (DevServer second = DevServer.builder().port(0).database(db).retryDelayScale(0.001).start()) {
                Api api = new Api(second);
                JsonNode run = api.awaitStatus(runId, "Completed");

                assertEquals("before and after", run.get("output").asText());
                assertEquals(1, aRuns.get(), "a memoized step is never run again");
                assertEquals(1, api.get("/v1/apps").get("data").size(), "the app stays synced");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CheckpointMode.class)
    void resumesARealLoomstepFunctionsSleepAfterARestart(CheckpointMode mode) throws Exception {
        Path db = dir.resolve("dev.db");
        var before = new AtomicInteger();
        var fn = Function.builder("nap").trigger(Trigger.event("ls/nap")).handler((in, step) -> {
            String a = step.run("before", String.class, () -> "ran " + before.incrementAndGet());
            step.sleep("nap", Duration.ofMillis(700));
            return a + ", then woke";
        });
        String runId;
        try (DevServer first = DevServer.builder().port(0).database(db).retryDelayScale(0.001).start();
                LoomstepServer server = LoomstepServer.builder(Loomstep.builder("ls").dev(first.url())
                        .checkpointing(mode.checkpointing()).functions(fn).build())
                        .host("127.0.0.1").port(0).start()) {
            server.sync();
            Api api = new Api(first);
            runId = api.runOf(api.send("ls/nap", Map.of()));
            Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 2, "the run to sleep");
            first.close(); // the devserver stops while the app stays up

            try (DevServer second = DevServer.builder().port(0).database(db).retryDelayScale(0.001).start()) {
                JsonNode run = new Api(second).awaitStatus(runId, "Completed");

                assertEquals("ran 1, then woke", run.get("output").asText());
                assertEquals(1, before.get());
            }
        }
    }

    @Test
    void aSignalWaitSurvivesARestartAndTheSignalThenResumesIt() throws Exception {
        Path db = dir.resolve("dev.db");
        var fn = Function.builder("approval").trigger(Trigger.event("ls/approval")).handler((in, step) ->
                step.waitForSignal("approval", String.class, WaitForSignal.of("ls/approve-1").timeout(Duration.ofHours(1)))
                        .orElse("timed out"));
        String runId;
        try (DevServer first = DevServer.builder().port(0).database(db).retryDelayScale(0.001).start();
                LoomstepServer server = LoomstepServer.builder(Loomstep.builder("ls").dev(first.url()).functions(fn).build())
                        .host("127.0.0.1").port(0).start()) {
            server.sync();
            Api api = new Api(first);
            runId = api.runOf(api.send("ls/approval", Map.of()));
            Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "the run to wait for its signal");
            first.close(); // the devserver stops while the run waits

            try (DevServer second = DevServer.builder().port(0).database(db).retryDelayScale(0.001).start()) {
                Api again = new Api(second);
                Api.Response sent = again.request("POST", "/v1/signals", "{\"signal\":\"ls/approve-1\",\"data\":\"yes\"}");
                assertEquals(200, sent.status(), sent.text());
                assertEquals(runId, sent.json().get("data").get("run_id").asText());
                assertEquals("yes", again.awaitStatus(runId, "Completed").get("output").asText());
            }
        }
    }

    @Test
    void redoesACallThatWasInFlightWhenTheServerStopped() throws Exception {
        Path db = dir.resolve("dev.db");
        var inFlight = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        var bCalls = new AtomicInteger();
        try (FakeSdk sdk = new FakeSdk("app")) {
            sdk.fn("work").on("test/work").handler(c -> {
                if (!c.has("a")) {
                    return ops(stepRun("a", 1));
                }
                if (!c.has("b")) {
                    if (bCalls.incrementAndGet() == 1) {
                        inFlight.countDown();
                        release.await(10, TimeUnit.SECONDS); // the devserver stops meanwhile
                    }
                    return ops(stepRun("b", 2));
                }
                return done(c.data("a").asInt() + c.data("b").asInt());
            });
            String runId;
            try (DevServer first = DevServer.builder().port(0).database(db).retryDelayScale(0.001).start()) {
                sdk.sync(first);
                Api api = new Api(first);
                runId = api.runOf(api.send("test/work", Map.of()));
                assertTrue(inFlight.await(10, TimeUnit.SECONDS));
            }
            release.countDown();

            try (DevServer second = DevServer.builder().port(0).database(db).retryDelayScale(0.001).start()) {
                JsonNode run = new Api(second).awaitStatus(runId, "Completed");

                assertEquals(3, run.get("output").asInt());
                assertEquals(2, bCalls.get(), "the interrupted call was made again after the restart");
            }
        }
    }
}
