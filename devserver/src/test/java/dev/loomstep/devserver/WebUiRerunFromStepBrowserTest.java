package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.stepRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.Teardown;
import dev.loomstep.testkit.UiScreenshots;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * Rerun from a step (issue 23), in a real headless Chromium: the new run reuses the steps the old run
 * finished before the chosen one (they do not run again), runs it and the rest, optionally with edited
 * input that the SDK gets as the step's {@code input}; a bad input or step is one clear line and no run.
 */
@Timeout(180)
class WebUiRerunFromStepBrowserTest {
    static final AtomicInteger aRuns = new AtomicInteger();
    static final AtomicInteger bRuns = new AtomicInteger();
    static final AtomicBoolean bWorks = new AtomicBoolean();
    static LoomstepDevServer fixture;
    static FakeSdk sdk;
    static Api api;
    static HeadlessChromium chrome;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        var threeSteps = Function.builder("three-steps").trigger(Trigger.event("rr/three")).retries(0).handler((in, step) -> {
            int a = step.run("a", Integer.class, aRuns::incrementAndGet);
            int b = step.run("b", Integer.class, () -> {
                bRuns.incrementAndGet();
                if (!bWorks.get()) {
                    throw new IllegalStateException("b is broken");
                }
                return 10;
            });
            return step.run("c", Integer.class, () -> a + b);
        });
        fixture = LoomstepDevServer.builder("rr").start(threeSteps);
        api = fixture.api;
        // A fake SDK whose step "double" takes input, as the JS SDK's step.run(id, fn, ...args) does.
        sdk = new FakeSdk("raw");
        sdk.fn("doubles").on("rr/doubles").retries(0).handler(c -> {
            if (!c.has("load")) {
                return ops(stepRun("load", 21));
            }
            JsonNode d = c.memo("double");
            if (d != null && d.has("data")) {
                return done(d.get("data"));
            }
            int arg = d != null && d.has("input") ? d.get("input").get(0).asInt() : c.data("load").asInt();
            return ops(stepRun("double", arg * 2));
        });
        sdk.sync(fixture.dev);
        chrome = HeadlessChromium.start();
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(chrome, sdk, fixture);
    }

    /** The page as each test left it, to look at when one fails: target/ui-screenshots/<test>.png. */
    @RegisterExtension
    static final UiScreenshots screenshots = new UiScreenshots(() -> chrome);

    static void open(String hash) {
        chrome.open(fixture.dev.url() + "/" + hash);
    }

    static WebElement rerunFrom(String stepName) {
        return chrome.await(By.cssSelector("[data-test=step-row][data-step-name='" + stepName + "'] [data-test=rerun-from]"),
                "Rerun from here on step " + stepName);
    }

    @Test
    void rerunFromAFailedStepReusesTheStepsBeforeItAndRunsItAndTheRestAgain() {
        String runId = api.runOf(api.send("rr/three", Map.of()));
        api.awaitStatus(runId, "Failed");
        assertEquals(1, aRuns.get());
        assertEquals(1, bRuns.get());
        bWorks.set(true); // the fix is deployed
        open("#/runs/" + runId);
        rerunFrom("b").click();
        chrome.await(By.id("rerun-from-form"), "the confirmation");
        chrome.await(By.id("rerun-from-confirm"), "Rerun from b").click();
        String rerun = chrome.await(By.id("rerun-link"), "where the rerun is").getAttribute("data-run-id");
        JsonNode done = api.awaitStatus(rerun, "Completed");
        assertEquals(11, done.get("output").asInt(), done.toString());
        assertEquals(1, aRuns.get(), "step a was reused, not run again");
        assertEquals(2, bRuns.get(), "step b ran again");
        assertEquals(runId, done.get("rerun_of").asText());
        JsonNode a = step(done, "a");
        assertEquals(runId, a.get("reused_from").asText(), a.toString());
        assertEquals(1, a.get("output").asInt());

        chrome.await(By.id("rerun-link"), "the link").click();
        chrome.awaitText(By.id("run-id"), rerun::equals, "the new run's page");
        chrome.await(By.cssSelector("[data-step-name=a] [data-test=step-reused] a[href='#/runs/" + runId + "']"),
                "step a marked as reused from the old run");
        assertTrue(chrome.driver().findElements(By.cssSelector("[data-step-name=b] [data-test=step-reused]")).isEmpty(),
                "step b ran in the new run");
    }

    @Test
    void rerunFromAStepWithEditedInputGivesTheSdkThatInput() {
        String eventId = api.send("rr/doubles", Map.of());
        String runId = api.runOf(eventId);
        assertEquals(42, api.awaitStatus(runId, "Completed").get("output").asInt());
        open("#/runs/" + runId);
        rerunFrom("double").click();
        WebElement input = chrome.await(By.id("rerun-input"), "the input box");
        input.sendKeys("[50,");
        chrome.await(By.id("rerun-from-confirm"), "Rerun from double").click();
        String problem = chrome.awaitText(By.id("rerun-input-error"), t -> !t.isBlank(), "where the input is wrong");
        assertTrue(problem.startsWith("Input is not valid JSON: line 1, column 5"), problem);
        assertEquals(1, api.get("/v1/runs?function=raw-doubles").get("data").size(), "a bad input starts no run");

        input.clear();
        input.sendKeys("[50]");
        chrome.await(By.id("rerun-from-confirm"), "Rerun from double").click();
        String rerun = chrome.await(By.id("rerun-link"), "where the rerun is").getAttribute("data-run-id");
        JsonNode done = api.awaitStatus(rerun, "Completed");
        assertEquals(100, done.get("output").asInt(), "the step ran with the edited input: " + done);
        FakeSdk.Call first = sdk.calls("doubles").stream().filter(c -> c.runId().equals(rerun)).findFirst().orElseThrow();
        assertEquals(21, first.data("load").asInt(), "load came memoized from the old run");
        assertEquals("[50]", first.memo("double").get("input").toString(), first.body().toString());
        assertEquals(runId, step(done, "load").get("reused_from").asText());
    }

    @Test
    void aStepTheRunDoesNotHaveOrInputThatIsNotAnArrayIsOneClearLineAndNoRun() {
        String runId = api.runOf(api.send("rr/doubles", Map.of()));
        api.awaitStatus(runId, "Completed");
        int before = api.get("/v1/runs?function=raw-doubles").get("data").size();
        Api.Response missing = api.request("POST", "/v1/runs/" + runId + "/rerun", "{\"from_step\": {\"step_id\": \"nope\"}}");
        assertEquals(400, missing.status(), missing.text());
        assertEquals("rerun: run \"" + runId + "\" has no step with id or name \"nope\"", missing.json().get("error").asText());
        Api.Response notArray = api.request("POST", "/v1/runs/" + runId + "/rerun",
                "{\"from_step\": {\"step_id\": \"double\", \"input\": {\"x\": 1}}}");
        assertEquals(400, notArray.status(), notArray.text());
        assertTrue(notArray.json().get("error").asText().startsWith("rerun: from_step.input must be a JSON array"), notArray.text());
        assertEquals(before, api.get("/v1/runs?function=raw-doubles").get("data").size(), "no run started");
    }

    static JsonNode step(JsonNode run, String name) {
        for (JsonNode s : run.get("steps")) {
            if (name.equals(s.get("name").asText())) {
                return s;
            }
        }
        throw new AssertionError("no step " + name + " in " + run);
    }
}
