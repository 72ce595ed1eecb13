package dev.loomstep.examples;

import static dev.loomstep.testkit.DevServerUi.inRunRow;
import static dev.loomstep.testkit.DevServerUi.runRow;
import static dev.loomstep.testkit.DevServerUi.sendFromForm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.testkit.HeadlessChromium;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The examples as a user sees them in the devserver web UI: every example runs to completion on the
 * embedded devserver, then headless Chromium (testkit's {@link HeadlessChromium}) finds the
 * account-created run and its step timeline, and sends {@code api/account.created} from the UI's form,
 * which starts a new run. Without the browser the test fails, naming what to install;
 * {@code -Dloomstep.browser=skip} skips it instead.
 */
@Timeout(180)
class ExamplesWebUiTest {
    static Examples examples;
    static HeadlessChromium chrome;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        examples = Examples.start(0);
        var bytes = new ByteArrayOutputStream();
        int exit = examples.runAll(new PrintStream(bytes, true, StandardCharsets.UTF_8), 20, Duration.ofSeconds(90));
        assertEquals(0, exit, bytes.toString(StandardCharsets.UTF_8));
        chrome = HeadlessChromium.start();
        browser = chrome.driver();
    }

    @AfterAll
    static void stop() {
        try {
            if (chrome != null) {
                chrome.close();
            }
        } finally {
            if (examples != null) {
                examples.close();
            }
        }
    }

    /** The page as each test left it, to look at when one fails: target/ui-screenshots/<test>.png. */
    @AfterEach
    void screenshot(TestInfo test) {
        if (chrome != null) {
            chrome.screenshot("examples-" + test.getTestMethod().map(m -> m.getName()).orElse("test"));
        }
    }

    static void open(String hash) {
        chrome.open(examples.devUrl() + "/" + hash);
    }

    static By step(String name, String field) {
        return By.cssSelector("#timeline [data-test=step-row][data-step-name='" + name + "'] [data-test=" + field + "]");
    }

    @Test
    void theAccountCreatedRunIsListedCompletedWithItsStepTimeline() {
        String runId = examples.runIds().get("account-created");
        open("#/runs");
        chrome.await(runRow(runId), "the account-created run " + runId + " in the runs list");
        assertEquals("Account creation flow", chrome.awaitText(inRunRow(runId, "run-function"), t -> !t.isBlank(), "its function"));
        assertEquals("Completed", chrome.awaitText(inRunRow(runId, "run-status"), "Completed"::equals, "its status"));

        browser.findElement(inRunRow(runId, "run-link")).click();
        chrome.awaitText(By.id("run-id"), runId::equals, "the run page");
        assertEquals("Completed", chrome.awaitText(By.cssSelector("#run-body [data-test=run-status]"), t -> !t.isBlank(), "status"));
        String output = chrome.awaitText(By.id("run-output"), t -> t.contains("congratulated"), "the run's output");
        assertTrue(output.contains("\"welcomed\": true"), output);
        assertEquals("api/account.created", chrome.awaitText(By.id("event-name-shown"), t -> !t.isBlank(), "the triggering event"));
        assertTrue(browser.findElement(By.id("run-event")).getText().contains("\"email\": \"ada@example.com\""));

        chrome.await(By.cssSelector("#timeline [data-test=step-row]"), "the step timeline");
        List<WebElement> steps = browser.findElements(By.cssSelector("#timeline [data-test=step-row]"));
        assertEquals(List.of("initial-delay", "on-user-created", "wait-for-activity", "send-congrats"),
                steps.stream().map(s -> s.getAttribute("data-step-name")).toList());
        for (WebElement s : steps) {
            assertEquals("completed", text(s, "step-status"), s.getAttribute("data-step-name"));
        }
        assertEquals("Sleep", browser.findElement(step("initial-delay", "step-op")).getText());
        assertEquals("StepRun", browser.findElement(step("on-user-created", "step-op")).getText());
        // outputs start collapsed: read them as the page holds them
        assertEquals("true", output("on-user-created"));
        assertTrue(output("wait-for-activity").contains("nightly-report"), "the wait's output is the event it matched");
        assertEquals("matched", browser.findElement(step("wait-for-activity", "wait-outcome")).getText());
        assertEquals("\"congratulated\"", output("send-congrats"));
    }

    @Test
    void sendingAccountCreatedFromTheFormStartsANewRun() {
        String earlier = examples.runIds().get("account-created");
        open("#/send");
        WebElement sent = sendFromForm(chrome, "api/account.created", "{\"userId\": \"u_grace\", \"email\": \"grace@example.com\", \"name\": \"Grace\"}");
        String eventId = sent.getAttribute("data-event-id");
        sent.click();
        chrome.awaitText(By.id("event-id"), eventId::equals, "the event page");
        WebElement row = chrome.await(By.cssSelector("#event-runs-body [data-test=run-row]"), "the run the event started");
        String runId = row.getAttribute("data-run-id");
        assertNotEquals(earlier, runId);

        open("#/runs");
        chrome.await(runRow(runId), "the new run " + runId + " in the runs list");
        assertEquals("Account creation flow", chrome.awaitText(inRunRow(runId, "run-function"), t -> !t.isBlank(), "its function"));
        String status = chrome.awaitText(inRunRow(runId, "run-status"), t -> !t.isBlank(), "its status");
        assertTrue(Set.of("Running", "Completed").contains(status), status);

        browser.findElement(inRunRow(runId, "run-link")).click();
        chrome.awaitText(By.id("run-id"), runId::equals, "the new run's page");
        assertEquals("Sleep", chrome.awaitText(step("initial-delay", "step-op"), t -> !t.isBlank(), "its first step"));
        assertTrue(chrome.awaitText(By.id("run-event"), t -> t.contains("grace@example.com"), "the event data").contains("u_grace"));
        // after the one-second delay it welcomes Grace, then waits for her first function (no such event comes)
        assertEquals("true", chrome.waiting().ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .withMessage("waiting for the welcome step").until(d -> {
            var found = d.findElements(step("on-user-created", "step-output"));
            return found.isEmpty() || found.get(0).getAttribute("textContent").isBlank() ? null : found.get(0).getAttribute("textContent");
        }));
        assertEquals("WaitForEvent", chrome.awaitText(step("wait-for-activity", "step-op"), t -> !t.isBlank(), "the wait step"));
        assertEquals("Running", browser.findElement(By.cssSelector("#run-body [data-test=run-status]")).getText());
    }

    /** A step's output, collapsed or not. */
    static String output(String stepName) {
        return browser.findElement(step(stepName, "step-output")).getAttribute("textContent");
    }

    static String text(WebElement row, String field) {
        return row.findElement(By.cssSelector("[data-test=" + field + "]")).getText();
    }
}
