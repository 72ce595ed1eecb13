package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.testkit.DevServerUi.runRow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.flow.BatchEvents;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.Teardown;
import dev.loomstep.undertow.LoomstepServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The bugs a browser found in the web UI's second pass (issue 23), each reproduced in a real headless
 * Chromium (or over REST where the bug is the API's) against the embedded devserver running real
 * Loomstep functions and a hand-written SDK ({@link FakeSdk}) whose answers carry the JS SDK's step
 * {@code timing}.
 */
@Timeout(180)
class WebUiFixesBrowserTest {
    static DevServer dev;
    static LoomstepServer server;
    static FakeSdk sdk;
    static Api api;
    static HeadlessChromium chrome;
    static WebDriver browser;
    static final CountDownLatch release = new CountDownLatch(1);
    static final AtomicInteger secondTries = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.01).start();
        api = new Api(dev);
        var failsOnce = Function.builder("fails-once").trigger(Trigger.event("fix/fails-once")).handler((in, step) -> {
            step.run("first", () -> Thread.sleep(60));
            step.run("second", () -> {
                Thread.sleep(20);
                if (secondTries.getAndIncrement() == 0) {
                    throw new IllegalStateException("second fails once");
                }
            });
            return "ok";
        });
        // Loomstep runs sequential steps ahead of their checkpoint: one checkpoint then carries several
        var three = Function.builder("three").trigger(Trigger.event("fix/three")).handler((in, step) -> {
            for (String id : List.of("s1", "s2", "s3")) {
                step.run(id, () -> Thread.sleep(30));
            }
            return "ok";
        });
        var fan = Function.builder("fan").trigger(Trigger.event("fix/fan")).handler((in, step) -> {
            var branches = new java.util.ArrayList<java.util.concurrent.Callable<Integer>>();
            for (int i = 0; i < 20; i++) {
                int n = i;
                branches.add(() -> step.run("b" + n, Integer.class, () -> n));
            }
            return step.parallel(branches).size();
        });
        var holds = Function.builder("holds").trigger(Trigger.event("fix/holds")).handler((in, step) -> {
            step.run("out", Map.class, () -> Map.of("answer", 42, "text", "an output to look at"));
            return step.run("hold", Boolean.class, () -> release.await(60, TimeUnit.SECONDS));
        });
        var sleeps = Function.builder("sleeps").trigger(Trigger.event("fix/sleeps")).handler((in, step) -> {
            step.sleep("nap", Duration.ofHours(1));
            return "woke";
        });
        var batched = Function.builder("batched").trigger(Trigger.event("fix/batched"))
                .batchEvents(BatchEvents.of(3, Duration.ofSeconds(1))).handler((in, step) -> in.events().size());
        var app = Loomstep.builder("fix").dev(dev.url()).functions(failsOnce, three, fan, holds, sleeps, batched).build();
        server = LoomstepServer.builder(app).host("127.0.0.1").port(0).start();
        server.sync();
        sdk = new FakeSdk("raw");
        // Two steps run one after the other in one call, answered together with the JS SDK's timing
        // ({a: start ns since the epoch, b: duration ns}).
        sdk.fn("timed").on("fix/timed").retries(0).handler(c -> {
            if (c.has("a")) {
                return done("both ran");
            }
            long t0 = System.currentTimeMillis();
            Thread.sleep(200);
            String ops = "[" + timedStep("a", t0, 80) + "," + timedStep("b", t0 + 100, 80) + "]";
            return FakeSdk.raw(206, ops);
        });
        sdk.fn("odd/name").on("fix/odd").retries(0).handler(c -> done("odd"));
        sdk.sync(dev);
        chrome = HeadlessChromium.start();
        browser = chrome.driver();
    }

    static String timedStep(String id, long startMillis, long tookMillis) {
        return "{\"id\":\"" + FakeSdk.hash(id) + "\",\"op\":\"StepRun\",\"name\":\"" + id + "\",\"displayName\":\"" + id
                + "\",\"data\":\"" + id + "\",\"timing\":{\"a\":" + startMillis * 1_000_000 + ",\"b\":" + tookMillis * 1_000_000 + "}}";
    }

    @AfterAll
    static void stop() {
        release.countDown();
        Teardown.closeAll(chrome, server, sdk, dev);
    }

    @AfterEach
    void screenshot(TestInfo test) {
        if (chrome != null) {
            chrome.screenshot(test.getTestMethod().map(m -> m.getName()).orElse("test"));
            browser.manage().window().setSize(new Dimension(1280, 900));
        }
    }

    static void open(String hash) {
        chrome.open(dev.url() + "/" + hash);
    }

    static Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    static List<String> stepNames() {
        return browser.findElements(By.cssSelector("#timeline [data-test=step-row]")).stream()
                .map(e -> e.getAttribute("data-step-name")).toList();
    }

    static JsonNode step(JsonNode run, String name) {
        for (JsonNode s : run.get("steps")) {
            if (name.equals(s.get("name").asText())) {
                return s;
            }
        }
        throw new AssertionError("no step " + name + " in " + run);
    }

    static long at(JsonNode step, String field) {
        return java.time.Instant.parse(step.get(field).asText()).toEpochMilli();
    }

    /** Bug 1: the SDK's own timing places steps it ran one after another in one call one after another. */
    @Test
    void stepsTheSdkRanOneAfterAnotherAreDrawnInSequenceAtTheTimesItReported() {
        String runId = api.runOf(api.send("fix/timed", Map.of()));
        JsonNode run = api.awaitStatus(runId, "Completed");
        JsonNode a = step(run, "a");
        JsonNode b = step(run, "b");
        assertTrue(at(a, "ended_at") <= at(b, "started_at"), "a ended before b started: " + run.get("steps"));
        assertEquals(80, at(a, "ended_at") - at(a, "started_at"), "a's own duration, as the SDK timed it");
        open("#/runs/" + runId);
        chrome.awaitText(By.cssSelector("#timeline [data-test=step-row][data-step-name=b] [data-test=step-status]"),
                "completed"::equals, "the trace");
        assertTrue(browser.findElements(By.cssSelector("[data-test=step-group]")).isEmpty(), "no parallel group");
        assertEquals(List.of("a", "b"), stepNames());
    }

    /** Bug 1: a step that fails after another ran in the same call did not start when the call did. */
    @Test
    void aStepThatFailsAfterAnotherStartsAfterIt() {
        String runId = api.runOf(api.send("fix/fails-once", Map.of()));
        JsonNode run = api.awaitStatus(runId, "Completed");
        JsonNode first = step(run, "first");
        JsonNode second = step(run, "second");
        assertTrue(at(first, "ended_at") <= at(second, "started_at"), "first ended before second started: " + run.get("steps"));
        open("#/runs/" + runId);
        chrome.await(By.cssSelector("#timeline [data-test=step-row][data-step-name=second] [data-test=attempt-error]"), "second's failure");
        assertTrue(browser.findElements(By.cssSelector("[data-test=step-group]")).isEmpty(), "no parallel group");
        assertEquals(List.of("first", "second"), stepNames());
    }

    /** Bug 1: Loomstep's own steps, run one after another and checkpointed together, say when each ran. */
    @Test
    void loomstepStepsCheckpointedTogetherAreDrawnInSequence() {
        String runId = api.runOf(api.send("fix/three", Map.of()));
        JsonNode run = api.awaitStatus(runId, "Completed");
        for (String[] pair : List.of(new String[] {"s1", "s2"}, new String[] {"s2", "s3"})) {
            assertTrue(at(step(run, pair[0]), "ended_at") <= at(step(run, pair[1]), "started_at"),
                    pair[0] + " ended before " + pair[1] + " started: " + run.get("steps"));
        }
        open("#/runs/" + runId);
        chrome.await(By.cssSelector("#timeline [data-test=step-row][data-step-name=s3]"), "the trace");
        assertTrue(browser.findElements(By.cssSelector("[data-test=step-group]")).isEmpty(), "no parallel group");
        assertEquals(List.of("s1", "s2", "s3"), stepNames());
    }

    /** Bug 1's other side: the branches of a Loomstep fan-out, run side by side, stay one parallel group. */
    @Test
    void aLoomstepFanOutStaysOneParallelGroup() {
        String runId = api.runOf(api.send("fix/fan", Map.of()));
        api.awaitStatus(runId, "Completed");
        open("#/runs/" + runId);
        WebElement group = chrome.await(By.cssSelector("[data-test=step-group]"), "the parallel group");
        assertEquals("20", group.getAttribute("data-size"), "every branch in one group");
        assertEquals(1, browser.findElements(By.cssSelector("[data-test=step-group]")).size());
    }

    /** Bug 2: ids with "/", "?" or "#" open, replay, and name their function's page. */
    @Test
    void eventsAndFunctionsWithSlashesQuestionMarksAndHashesInTheirIdsOpen() {
        String id = "order/42?v=1#x";
        api.send(Json.nodes().objectNode().put("id", id).put("name", "fix/odd").set("data", Json.nodes().objectNode()));
        String enc = URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
        assertEquals(id, api.get("/v1/events/" + enc).get("data").get("id").asText(), "GET by the encoded id");
        JsonNode runs = Api.await(() -> api.get("/v1/events/" + enc + "/runs").get("data"), d -> d.size() == 1, "its run");
        assertEquals("raw-odd/name", runs.get(0).get("function_id").asText());
        assertEquals(200, api.request("POST", "/v1/events/" + enc + "/replay", "{}").status());

        open("#/events");
        chrome.await(By.cssSelector("[data-test=event-row][data-event-id='" + id + "'] [data-test=event-link]"), "the event's link").click();
        chrome.awaitText(By.id("event-id"), id::equals, "the event's page");
        chrome.awaitText(By.id("event-name-shown"), "fix/odd"::equals, "the event, loaded");
        chrome.await(By.id("replay-event"), "Replay").click();
        chrome.await(By.id("replayed-event"), "the replayed event");

        open("#/functions");
        chrome.await(By.cssSelector("[data-test=function][data-function-id='raw-odd/name'] [data-test=function-name]"), "the function").click();
        chrome.awaitText(By.id("function-name"), "odd/name"::equals, "its page");
        assertTrue(browser.findElements(By.cssSelector("[data-test=view-error]")).isEmpty(), "no error on its page");
    }

    /** Bug 3: every event of a batch lists the batch's run. */
    @Test
    void everyEventOfABatchShowsTheBatchsRun() {
        String one = api.send("fix/batched", Map.of("n", 1));
        String two = api.send("fix/batched", Map.of("n", 2));
        String three = api.send("fix/batched", Map.of("n", 3));
        String runId = Api.await(() -> api.get("/v1/runs?function=batched").get("data"), d -> d.size() == 1, "the batch's run")
                .get(0).get("run_id").asText();
        for (String e : List.of(one, two, three)) {
            JsonNode runs = api.get("/v1/events/" + e + "/runs").get("data");
            assertEquals(1, runs.size(), "event " + e + " lists its run");
            assertEquals(runId, runs.get(0).get("run_id").asText());
        }
        open("#/events/" + three);
        chrome.await(runRow(runId), "the batch's run on its third event's page");
        open("#/events");
        chrome.awaitText(By.cssSelector("[data-test=event-row][data-event-id='" + two + "'] [data-test=event-runs]"),
                t -> t.contains("fix-batched"), "the run beside its second event");
        open("#/runs?search=" + two);
        chrome.await(runRow(runId), "the run found by its second event");
    }

    /** Bug 4: an output opened on a running run stays open while the page refreshes. */
    @Test
    void anOpenedStepOutputStaysOpenWhileTheRunRuns() {
        String runId = api.runOf(api.send("fix/holds", Map.of()));
        Api.await(() -> api.run(runId).get("steps"), s -> s.size() >= 1 && s.get(0).get("status").asText().equals("completed"),
                "the first step");
        open("#/runs/" + runId);
        By box = By.cssSelector("[data-test=step-row][data-step-name=out] [data-test=step-output-box]");
        chrome.await(By.cssSelector("[data-test=step-row][data-step-name=out] [data-test=step-output-box] summary"), "the output").click();
        assertTrue(chrome.await(By.cssSelector("[data-test=step-row][data-step-name=out] [data-test=step-output]"), "the opened output")
                .getText().contains("42"));
        for (int redraw = 0; redraw < 2; redraw++) {
            WebElement before = browser.findElement(box);
            chrome.waiting().withMessage("the page redrawing").until(ExpectedConditions.stalenessOf(before));
            assertEquals("true", chrome.await(box, "the output, redrawn").getDomProperty("open"), "still open after a redraw");
        }
        api.request("POST", "/v1/runs/" + runId + "/cancel", "{}");
    }

    /** Bug 5 (and Cancel's confirmation): what cancelling an already-ended run answered stays on the page. */
    @Test
    void cancelAsksFirstAndItsAnswerStaysOnThePage() {
        String runId = api.runOf(api.send("fix/sleeps", Map.of()));
        Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "the sleep");
        open("#/runs/" + runId);
        chrome.await(By.id("cancel-run"), "Cancel").click();
        WebElement confirm = chrome.await(By.id("cancel-confirm"), "the confirmation");
        assertEquals("Running", api.run(runId).get("status").asText(), "nothing is cancelled before the confirmation");
        // the run ends elsewhere while the confirmation is open
        assertEquals(200, api.request("POST", "/v1/runs/" + runId + "/cancel", "{}").status());
        confirm.click();
        String said = chrome.awaitText(By.cssSelector("#run-notice [data-test=action-error]"), t -> !t.isBlank(), "the answer");
        assertTrue(said.contains("already ended"), said);
        chrome.awaitText(By.cssSelector("#run-body [data-test=run-status]"), "Cancelled"::equals, "the cancelled run");
        assertEquals("true", chrome.await(By.id("cancel-run"), "Cancel, still there").getDomProperty("disabled"),
                "Cancel is disabled once the run ended");
        // Live pages poll every second: the message is still there after two polls.
        long polls = (Long) js("return performance.getEntriesByType('resource').filter(e => e.name.includes('/v1/runs/')).length");
        chrome.waiting().withMessage("two more polls").until(d -> (Long) js(
                "return performance.getEntriesByType('resource').filter(e => e.name.includes('/v1/runs/')).length") >= polls + 2);
        assertTrue(browser.findElement(By.cssSelector("#run-notice [data-test=action-error]")).getText().contains("already ended"));

        String other = api.runOf(api.send("fix/sleeps", Map.of()));
        Api.await(() -> api.run(other).get("steps"), s -> s.size() == 1, "the second sleep");
        open("#/runs/" + other);
        chrome.await(By.id("cancel-run"), "Cancel").click();
        chrome.await(By.id("cancel-abort"), "Keep it running").click();
        assertTrue(browser.findElements(By.id("cancel-confirm")).isEmpty(), "the confirmation is gone");
        assertEquals("Running", api.run(other).get("status").asText());
        chrome.await(By.id("cancel-run"), "Cancel").click();
        chrome.await(By.id("cancel-confirm"), "the confirmation").click();
        chrome.awaitText(By.cssSelector("#run-notice [data-test=action-done]"), t -> t.contains("cancelled"), "the cancellation");
        assertEquals("Cancelled", api.run(other).get("status").asText());
    }

    /** Bug 6: a sleep cancelled before it woke says it was cancelled, not that it slept until its wake-up time. */
    @Test
    void aCancelledSleepSaysItWasCancelled() {
        String runId = api.runOf(api.send("fix/sleeps", Map.of()));
        Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "the sleep");
        assertEquals(200, api.request("POST", "/v1/runs/" + runId + "/cancel", "{}").status());
        open("#/runs/" + runId);
        String text = chrome.awaitText(By.cssSelector("[data-test=step-sleep]"), t -> !t.isBlank(), "the sleep");
        assertTrue(text.startsWith("cancelled "), text);
        assertFalse(text.contains("slept"), text);
    }

    /** Bug 7: a long event name without break points wraps inside the events table's card. */
    @Test
    void aLongEventNameWrapsInsideTheEventsTable() {
        String name = "fix/" + "x".repeat(400);
        String id = api.send(name, Map.of());
        open("#/events");
        chrome.await(By.cssSelector("[data-test=event-row][data-event-id='" + id + "']"), "the event");
        long table = (Long) js("return Math.ceil(document.getElementById('events-table').getBoundingClientRect().width)");
        long main = (Long) js("return Math.ceil(document.getElementById('view').getBoundingClientRect().width)");
        assertTrue(table <= main, "the table (" + table + " px) fits its page (" + main + " px)");
        assertTrue((Long) js("return document.documentElement.scrollWidth") <= (Long) js("return window.innerWidth"),
                "no horizontal scrolling");
    }

    /** Bug 8: the runs page fits 600 px; the send form drops an error once its input changes. */
    @Test
    void theRunsPageFitsSixHundredPixelsAndTheSendFormDropsStaleErrors() {
        browser.manage().window().setSize(new Dimension(600, 900));
        open("#/runs");
        chrome.await(By.id("runs-table"), "the runs page");
        chrome.waiting().withMessage("the function filter, filled").until(d -> d.findElements(By.cssSelector("#filter-function option")).size() > 1);
        long needs = (Long) js("return document.documentElement.scrollWidth");
        long has = (Long) js("return document.documentElement.clientWidth");
        assertTrue(needs <= has, "the runs page needs " + needs + " px of " + has);

        open("#/send");
        chrome.await(By.id("event-name"), "the send form").sendKeys("fix/stale");
        WebElement data = browser.findElement(By.id("event-data"));
        data.clear();
        data.sendKeys("{\"a\": }");
        browser.findElement(By.id("send-event")).click();
        String error = chrome.awaitText(By.id("send-error"), t -> !t.isBlank(), "the JSON error");
        assertTrue(error.contains("line 1, column 7"), error);
        data.sendKeys(Keys.BACK_SPACE);
        chrome.waiting().withMessage("the error gone once the data changed").until(d -> d.findElements(By.id("send-error")).isEmpty());
    }
}
