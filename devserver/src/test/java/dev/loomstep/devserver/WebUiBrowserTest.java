package dev.loomstep.devserver;

import static dev.loomstep.testkit.DevServerUi.inRunRow;
import static dev.loomstep.testkit.DevServerUi.runRow;
import static dev.loomstep.testkit.DevServerUi.sendFromForm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.RetryAfterException;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.Teardown;
import dev.loomstep.testkit.UiScreenshots;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The web UI in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, via the
 * testkit's {@link HeadlessChromium}), against the embedded devserver running real Loomstep functions
 * served by http-adapter. Without the browser the test fails, naming what to install;
 * {@code -Dloomstep.browser=skip} skips it instead.
 */
@Timeout(120)
class WebUiBrowserTest {
    static DevServer dev;
    static LoomstepDevServer fixture;
    static Api api;
    static HeadlessChromium chrome;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        var order = Function.builder("order").name("Process order").trigger(Trigger.event("shop/order.placed")).handler((in, step) -> {
            int total = step.run("price", Integer.class, () -> in.data().path("qty").asInt() * 7);
            step.sleep("cool-off", Duration.ofMillis(150));
            String receipt = step.run("receipt", String.class, () -> "receipt-for-" + total);
            return Map.of("total", total, "receipt", receipt);
        });
        var approval = Function.builder("approval").trigger(Trigger.event("shop/approval.requested")).handler((in, step) -> step
                .waitForEvent("await-approval", WaitForEvent.of("shop/approved").timeout(Duration.ofMinutes(5)))
                .map(e -> "approved").orElse("timed out"));
        // Fails before its first step, asking for a retry an hour away: the run is Running with no steps.
        var warmup = Function.builder("warmup").trigger(Trigger.event("shop/warmup.requested")).retries(3).handler((in, step) -> {
            throw new RetryAfterException("inventory service unreachable", Duration.ofHours(1));
        });
        fixture = LoomstepDevServer.builder("shop").start(order, approval, warmup);
        dev = fixture.dev;
        api = fixture.api;
        chrome = HeadlessChromium.start();
        browser = chrome.driver();
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(chrome, fixture);
    }

    /** The page as each test left it, to look at when one fails: target/ui-screenshots/<test>.png. */
    @RegisterExtension
    static final UiScreenshots screenshots = new UiScreenshots(() -> chrome);

    static void open(String hash) {
        chrome.open(dev.url() + "/" + hash);
    }

    @Test
    void listsACompletedRunAndShowsItsStepTimeline() {
        String runId = api.runOf(api.send("shop/order.placed", Map.of("qty", 3)));
        JsonNode run = api.awaitStatus(runId, "Completed");
        assertEquals(21, run.get("output").get("total").asInt(), run.toString());

        open("#/runs");
        chrome.await(runRow(runId), "run " + runId + " in the list");
        assertEquals("Process order", chrome.awaitText(inRunRow(runId, "run-function"), t -> !t.isBlank(), "its function"));
        assertEquals("Completed", chrome.awaitText(inRunRow(runId, "run-status"), "Completed"::equals, "its status"));
        assertTrue(chrome.awaitText(inRunRow(runId, "run-duration"), t -> !t.isBlank(), "its duration").matches("[0-9.]+ (ms|s)"));

        browser.findElement(By.cssSelector("[data-test=run-row][data-run-id='" + runId + "'] [data-test=run-link]")).click();
        chrome.awaitText(By.id("run-id"), runId::equals, "the run page");
        assertEquals("Completed", chrome.awaitText(By.cssSelector("#run-body [data-test=run-status]"), t -> !t.isBlank(), "status"));
        String output = chrome.awaitText(By.id("run-output"), t -> t.contains("receipt-for-21"), "the run's output");
        assertTrue(output.contains("\"total\": 21"), output);
        assertEquals("shop/order.placed", chrome.awaitText(By.id("event-name-shown"), t -> !t.isBlank(), "the triggering event"));
        assertTrue(browser.findElement(By.id("run-event")).getText().contains("\"qty\": 3"));
        assertEquals("true", browser.findElement(By.id("cancel-run")).getDomProperty("disabled"), "Cancel is disabled on a finished run");

        chrome.await(By.cssSelector("#timeline [data-test=step-row]"), "the step timeline");
        List<WebElement> steps = browser.findElements(By.cssSelector("#timeline [data-test=step-row]"));
        assertEquals(List.of("price", "cool-off", "receipt"), steps.stream().map(s -> s.getAttribute("data-step-name")).toList());
        assertEquals("StepRun", text(steps.get(0), "step-op"));
        WebElement priceOutput = steps.get(0).findElement(By.cssSelector("[data-test=step-output]"));
        assertFalse(priceOutput.isDisplayed(), "outputs start collapsed");
        assertEquals("· 2 B", text(steps.get(0), "step-output-size"), "the collapsed output says its size");
        steps.get(0).findElement(By.cssSelector("[data-test=step-output-box] summary")).click();
        assertEquals("21", text(steps.get(0), "step-output"));
        assertEquals("1", text(steps.get(0), "step-attempts"));
        assertEquals("Sleep", text(steps.get(1), "step-op"));
        assertEquals("\"receipt-for-21\"", steps.get(2).findElement(By.cssSelector("[data-test=step-output]")).getAttribute("textContent"));
        assertTrue(text(steps.get(1), "step-sleep").startsWith("slept until "), "a sleep shows its wake-up time");
        for (WebElement s : steps) {
            assertTrue(text(s, "step-duration").matches("[0-9.]+ (ms|s)"), text(s, "step-duration"));
            assertTrue(s.findElement(By.cssSelector(".bar")).getSize().getWidth() > 0, "every step has a bar");
        }
        // the sleep takes most of the run: its bar is the widest
        int sleepBar = steps.get(1).findElement(By.cssSelector(".bar")).getSize().getWidth();
        assertTrue(sleepBar > steps.get(0).findElement(By.cssSelector(".bar")).getSize().getWidth(), "sleep bar " + sleepBar);
    }

    @Test
    void sendsAnEventFromTheFormAndTheNewRunAppears() {
        open("#/send");
        WebElement sent = sendFromForm(chrome, "shop/order.placed", "{\"qty\": 5, \"note\": \"<img src=x onerror=alert(1)>\"}");
        String eventId = sent.getAttribute("data-event-id");
        assertEquals(eventId, sent.getText());
        assertEquals("shop/order.placed", api.get("/v1/events/" + eventId).get("data").get("name").asText());
        String runId = api.runOf(eventId);

        sent.click();
        chrome.await(runRow(runId), "the event page listing run " + runId);
        open("#/runs");
        chrome.await(runRow(runId), "run " + runId + " in the runs list");
        assertEquals("Completed", chrome.awaitText(inRunRow(runId, "run-status"), "Completed"::equals, "the new run to complete"));

        open("#/runs/" + runId);
        String output = chrome.awaitText(By.id("run-output"), t -> t.contains("receipt-for-35"), "the new run's output");
        assertTrue(output.contains("35"), output);
        assertTrue(chrome.awaitText(By.id("run-event"), t -> t.contains("onerror"), "the event data").contains("<img src=x onerror=alert(1)>"),
                "user data is shown as text");
        assertTrue(browser.findElements(By.cssSelector("#run-event img")).isEmpty(), "user data never becomes markup");
    }

    @Test
    void rejectsDataThatIsNotAJsonObjectWithoutSending() {
        int before = api.get("/v1/events?limit=10000").get("data").size();
        open("#/send");
        chrome.await(By.id("event-name"), "the send form").sendKeys("shop/order.placed");
        WebElement data = browser.findElement(By.id("event-data"));
        data.clear();
        data.sendKeys("{not json");
        browser.findElement(By.id("send-event")).click();

        assertTrue(chrome.awaitText(By.id("send-error"), t -> !t.isBlank(), "the error").startsWith("Data is not valid JSON"));
        assertEquals(before, api.get("/v1/events?limit=10000").get("data").size());
    }

    @Test
    void filtersRunsByFunctionAndStatus() {
        String done = api.runOf(api.send("shop/order.placed", Map.of("qty", 1)));
        api.awaitStatus(done, "Completed");
        String waiting = api.runOf(api.send("shop/approval.requested", Map.of()));

        open("#/runs");
        chrome.await(runRow(done), "the completed run");
        chrome.await(runRow(waiting), "the waiting run");
        new org.openqa.selenium.support.ui.Select(chrome.await(By.cssSelector("#filter-function option[value='shop-approval']"), "the function filter")
                .findElement(By.xpath(".."))).selectByValue("shop-approval");
        chrome.waiting().withMessage("only approval runs").until(d -> d.findElements(runRow(done)).isEmpty());
        chrome.await(runRow(waiting), "the approval run, still listed");
        browser.findElement(By.id("filter-status-Completed")).click();
        chrome.waiting().withMessage("no completed approval runs").until(d -> d.findElements(runRow(waiting)).isEmpty());
        chrome.await(By.id("runs-empty"), "the empty message");
        assertTrue(browser.getCurrentUrl().endsWith("#/runs?function=shop-approval&status=Completed"), browser.getCurrentUrl());

        api.request("POST", "/v1/runs/" + waiting + "/cancel", "{}");
    }

    @Test
    void cancelsARunningRunFromItsPage() {
        String runId = api.runOf(api.send("shop/approval.requested", Map.of()));
        Api.await(() -> api.run(runId).get("steps"), s -> s.size() == 1, "the run to wait for approval");

        open("#/runs/" + runId);
        assertEquals("Running", chrome.awaitText(By.cssSelector("#run-body [data-test=run-status]"), "Running"::equals, "a running run"));
        chrome.await(By.cssSelector("[data-test=step-row][data-step-name='await-approval'] [data-test=step-op]"), "the waiting step");
        chrome.await(By.id("cancel-run"), "the Cancel button").click();
        chrome.await(By.id("cancel-confirm"), "the confirmation").click();

        chrome.awaitText(By.cssSelector("#run-body [data-test=run-status]"), "Cancelled"::equals, "the run to show Cancelled");
        assertEquals("Cancelled", api.run(runId).get("status").asText());
        assertEquals("true", browser.findElement(By.id("cancel-run")).getDomProperty("disabled"), "Cancel is disabled once cancelled");
        assertTrue(chrome.awaitText(By.cssSelector("[data-test=run-error]"), t -> !t.isBlank(), "the error").contains("cancelled"));
    }

    @Test
    void showsTheFailedAttemptsOfARunFailingBeforeItsFirstStep() {
        String runId = api.runOf(api.send("shop/warmup.requested", Map.of()));
        Api.await(() -> api.run(runId).get("attempt_errors"), a -> a.size() == 1, "the first failed attempt");

        open("#/runs/" + runId);
        assertEquals("Running", chrome.awaitText(By.cssSelector("#run-body [data-test=run-status]"), "Running"::equals, "a running run"));
        WebElement attempts = chrome.await(By.cssSelector("#run-attempts [data-test=run-attempt-errors]"), "the function attempts");
        List<WebElement> failed = attempts.findElements(By.cssSelector("[data-test=attempt-error]"));
        assertEquals(1, failed.size());
        assertTrue(failed.get(0).getText().contains("attempt 1 failed"), failed.get(0).getText());
        assertTrue(failed.get(0).getText().contains("inventory service unreachable"), failed.get(0).getText());
        assertTrue(attempts.findElement(By.cssSelector("[data-test=next-attempt]")).getText().startsWith("next attempt"),
                "the pending retry is shown");
        assertTrue(browser.findElements(By.cssSelector("[data-test=step-row]")).isEmpty(), "no steps yet");
        api.request("POST", "/v1/runs/" + runId + "/cancel", null);
    }

    @Test
    void showsTheSyncedAppWithItsFunctionsAndTriggers() {
        open("#/apps");
        WebElement app = chrome.await(By.cssSelector("[data-test=app][data-app-id='shop']"), "the shop app");
        assertEquals(fixture.server.url(), app.findElement(By.cssSelector("[data-test=app-url]")).getText());
        assertEquals("shop/order.placed", chrome.awaitText(
                By.cssSelector("[data-test=function][data-function-id='shop-order'] [data-test=function-triggers]"),
                t -> !t.isBlank(), "the order function's trigger"));
        assertEquals("Process order", browser.findElement(
                By.cssSelector("[data-test=function][data-function-id='shop-order'] [data-test=function-name]")).getText());
        chrome.await(By.cssSelector("[data-test=function][data-function-id='shop-approval']"), "the approval function");
        Object errors = ((JavascriptExecutor) browser).executeScript("return document.querySelectorAll('[data-test=view-error]').length");
        assertEquals(0L, errors);
    }

    static String text(WebElement row, String field) {
        return row.findElement(By.cssSelector("[data-test=" + field + "]")).getText();
    }
}
