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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
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
        fixture = LoomstepDevServer.builder("rd").start(approves, races, batches);
        api = fixture.api;
        chrome = HeadlessChromium.start();
    }

    @AfterAll
    static void stop() {
        if (chrome != null) {
            chrome.close();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @AfterEach
    void screenshot(TestInfo test) {
        chrome.screenshot(test.getTestMethod().map(m -> m.getName()).orElse("test"));
    }

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
