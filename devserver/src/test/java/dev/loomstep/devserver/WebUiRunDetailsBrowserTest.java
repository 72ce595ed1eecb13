package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import dev.loomstep.WaitForSignal;
import dev.loomstep.flow.BatchEvents;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.Teardown;
import dev.loomstep.testkit.UiScreenshots;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * What a run's page says beyond its steps' outputs (issue 23), in a real headless Chromium: a
 * {@code waitForSignal} step's signal, deadline and outcome (a timed-out wait reads "timed out", not
 * "completed", in the REST API too), which branch won a finished race, and every event of a batch run.
 */
@Timeout(180)
class WebUiRunDetailsBrowserTest {
    record Approval(String by) {}

    static LoomstepDevServer fixture;
    static Api api;
    static HeadlessChromium chrome;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        var approves = Function.builder("approves").trigger(Trigger.event("rd/approve")).handler((in, step) -> {
            Duration timeout = in.data().path("quick").asBoolean() ? Duration.ofMillis(300) : Duration.ofMinutes(5);
            Optional<Approval> got = step.waitForSignal("approval", Approval.class,
                    WaitForSignal.of("rd/approval-" + in.data().path("id").asText()).timeout(timeout));
            return got.map(a -> "approved by " + a.by()).orElse("timed out");
        });
        var races = Function.builder("races").trigger(Trigger.event("rd/race")).handler((in, step) -> step.race(
                List.<Callable<String>>of(
                        () -> {
                            step.sleep("short-nap", Duration.ofMillis(200));
                            return "timer";
                        },
                        () -> step.waitForEvent("never", WaitForEvent.of("rd/never").timeout(Duration.ofMinutes(1)))
                                .map(e -> "event").orElse("no event"))));
        var batches = Function.builder("batches").trigger(Trigger.event("rd/batched"))
                .batchEvents(BatchEvents.of(3, Duration.ofMinutes(1))).handler((in, step) -> in.events().size());
        var longRun = Function.builder("long-run").trigger(Trigger.event("rd/long")).handler((in, step) -> {
            int a = step.run("quick", Integer.class, () -> {
                Thread.sleep(30); // short beside the run, but long enough for a bar of its own
                return 1;
            });
            step.sleep("pause", Duration.ofMillis(1_500));
            return step.run("after", Integer.class, () -> a + 1);
        });
        fixture = LoomstepDevServer.builder("rd").start(approves, races, batches, longRun);
        api = fixture.api;
        chrome = HeadlessChromium.start();
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(chrome, fixture);
    }

    /** The page as each test left it, to look at when one fails: target/ui-screenshots/<test>.png. */
    @RegisterExtension
    static final UiScreenshots screenshots = new UiScreenshots(() -> chrome);

    static void open(String hash) {
        chrome.open(fixture.dev.url() + "/" + hash);
    }

    static JsonNode step(JsonNode run, String name) {
        for (JsonNode s : run.get("steps")) {
            if (name.equals(s.get("name").asText())) {
                return s;
            }
        }
        throw new AssertionError("no step " + name + " in " + run);
    }

    @Test
    void aWaitForSignalShowsItsSignalDeadlineAndOutcomeAndATimedOutOneDoesNotReadCompleted() {
        String timesOut = api.runOf(api.send("rd/approve", Map.of("id", "t1", "quick", true)));
        JsonNode run = api.awaitStatus(timesOut, "Completed");
        assertEquals("timed out", run.get("output").asText());
        JsonNode wait = step(run, "approval");
        assertEquals("timed out", wait.get("status").asText(), wait.toString());
        assertEquals("rd/approval-t1", wait.get("signal").get("signal").asText(), wait.toString());
        assertEquals("timed_out", wait.get("signal").get("outcome").asText());
        assertTrue(wait.get("signal").hasNonNull("timeout_at"), wait.toString());

        open("#/runs/" + timesOut);
        WebElement row = chrome.await(By.cssSelector("[data-test=step-row][data-step-name=approval]"), "the wait's row");
        assertEquals("rd/approval-t1", row.findElement(By.cssSelector("[data-test=signal-name]")).getText());
        assertEquals("timed out", row.findElement(By.cssSelector("[data-test=signal-outcome]")).getText());
        assertEquals("timed out", row.findElement(By.cssSelector("[data-test=step-status]")).getText());
        assertTrue(!row.findElement(By.cssSelector("[data-test=signal-deadline]")).getText().isBlank());

        String received = api.runOf(api.send("rd/approve", Map.of("id", "r1")));
        open("#/runs/" + received);
        chrome.awaitText(By.cssSelector("[data-step-name=approval] [data-test=signal-outcome]"), "waiting"::equals, "waiting for the signal");
        chrome.awaitText(By.cssSelector("[data-step-name=approval] [data-test=signal-name]"), "rd/approval-r1"::equals, "the signal's name while waiting");
        Api.Response sent = api.request("POST", "/v1/signals", "{\"signal\":\"rd/approval-r1\",\"data\":{\"by\":\"ann\"}}");
        assertEquals(200, sent.status(), sent.text());
        assertEquals("approved by ann", api.awaitStatus(received, "Completed").get("output").asText());
        chrome.awaitText(By.cssSelector("[data-step-name=approval] [data-test=signal-outcome]"), "received"::equals, "the signal received");
        assertEquals("{\"by\":\"ann\"}", chrome.driver().findElement(By.cssSelector("[data-step-name=approval] [data-test=signal-data]")).getText());
        assertEquals("completed", chrome.driver().findElement(By.cssSelector("[data-step-name=approval] [data-test=step-status]")).getText());
    }

    @Test
    void aFinishedRaceSaysWhichBranchWon() {
        String runId = api.runOf(api.send("rd/race", Map.of()));
        JsonNode run = api.awaitStatus(runId, "Completed");
        assertEquals("timer", run.get("output").asText());
        JsonNode races = run.get("races");
        assertEquals(1, races.size(), run.toString());
        assertEquals("short-nap", races.get(0).get("winner_name").asText(), run.toString());
        assertEquals("won", step(run, "short-nap").get("race").asText());
        assertEquals("lost", step(run, "never").get("race").asText());

        open("#/runs/" + runId);
        assertEquals("won by short-nap", chrome.awaitText(By.cssSelector("[data-test=race-winner]"), t -> !t.isBlank(), "the race's winner"));
        assertEquals("won the race", chrome.driver().findElement(By.cssSelector("[data-step-name=short-nap] [data-test=step-race]")).getText());
        assertEquals("lost the race", chrome.driver().findElement(By.cssSelector("[data-step-name=never] [data-test=step-race]")).getText());
    }

    static double barWidth(String stepName) {
        String w = chrome.driver().findElement(By.cssSelector("[data-step-name='" + stepName + "'] .track .bar")).getAttribute("style");
        var m = java.util.regex.Pattern.compile("width: ([0-9.]+)%").matcher(w);
        assertTrue(m.find(), w);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void theTraceZoomsToAShortStepOfALongRunAndBack() {
        String runId = api.runOf(api.send("rd/long", Map.of()));
        api.awaitStatus(runId, "Completed");
        open("#/runs/" + runId);
        chrome.await(By.cssSelector("[data-step-name=quick] .track .bar"), "the quick step's bar");
        double whole = barWidth("quick");
        assertTrue(whole < 5, "a 30 ms step is a sliver of a 1.5 s run: " + whole);
        assertTrue(chrome.driver().findElement(By.id("zoom-reset")).getAttribute("disabled") != null, "nothing to reset yet");
        chrome.await(By.cssSelector("[data-step-name=quick] [data-test=step-zoom]"), "Zoom to step").click();
        chrome.waiting().withMessage("the quick step fills the zoomed trace").until(d -> barWidth("quick") > 50);
        assertTrue(chrome.driver().findElement(By.id("zoom-window")).getText().startsWith("showing "));
        chrome.await(By.id("zoom-out"), "Zoom out").click();
        chrome.waiting().withMessage("zoomed out").until(d -> barWidth("quick") < 60 && barWidth("quick") > 10);
        chrome.await(By.id("zoom-reset"), "Whole run").click();
        chrome.waiting().withMessage("the whole run again").until(d -> Math.abs(barWidth("quick") - whole) < 0.01);
        chrome.await(By.id("zoom-in"), "Zoom in").click();
        chrome.waiting().withMessage("half the run").until(d -> d.findElement(By.id("zoom-window")).getText().startsWith("showing "));
    }

    @Test
    void aBatchRunsTriggerPanelListsAllItsEvents() {
        Api.Response sent = api.request("POST", "/e/test-key", "[{\"name\":\"rd/batched\",\"data\":{\"n\":1}},"
                + "{\"name\":\"rd/batched\",\"data\":{\"n\":2}},{\"name\":\"rd/batched\",\"data\":{\"n\":3}}]");
        assertEquals(200, sent.status(), sent.text());
        JsonNode ids = sent.json().get("ids");
        String runId = api.runOf(ids.get(0).asText());
        assertEquals(3, api.awaitStatus(runId, "Completed").get("output").asInt());
        open("#/runs/" + runId);
        chrome.awaitText(By.id("batch-count"), "A batch of 3 events:"::equals, "the batch's size");
        List<WebElement> events = chrome.driver().findElements(By.cssSelector("[data-test=batch-event]"));
        assertEquals(3, events.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(ids.get(i).asText(), events.get(i).getAttribute("data-event-id"));
            assertEquals("rd/batched", events.get(i).findElement(By.cssSelector("[data-test=batch-event-name]")).getText());
        }
        events.get(2).findElement(By.tagName("summary")).click();
        assertTrue(events.get(2).findElement(By.cssSelector("[data-test=batch-event-data]")).getText().contains("\"n\": 3"));
    }
}
