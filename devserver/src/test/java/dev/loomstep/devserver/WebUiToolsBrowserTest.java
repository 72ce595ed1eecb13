package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.testkit.DevServerUi.runRow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.Teardown;
import dev.loomstep.testkit.UiScreenshots;
import dev.loomstep.undertow.LoomstepServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;

/**
 * What the web UI's second pass added beside its bug fixes (issue 23), in a real headless Chromium:
 * the send-event dialog, the runs page's status checkboxes, app filter and auto-refresh switch, the
 * functions search box, "N of M synced", the dark theme and the version in the footer.
 */
@Timeout(180)
class WebUiToolsBrowserTest {
    static DevServer dev;
    static LoomstepServer server;
    static FakeSdk sdk;
    static Api api;
    static HeadlessChromium chrome;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.01).start();
        api = new Api(dev);
        var ok = Function.builder("ok").trigger(Trigger.event("tools/ok")).handler((in, step) -> "fine");
        var fails = Function.builder("fails").trigger(Trigger.event("tools/fails")).retries(0).handler((in, step) -> {
            throw new IllegalStateException("no");
        });
        var sleeps = Function.builder("sleeps").trigger(Trigger.event("tools/sleeps")).handler((in, step) -> {
            step.sleep("nap", Duration.ofHours(1));
            return "woke";
        });
        var app = Loomstep.builder("tools").dev(dev.url()).functions(ok, fails, sleeps).build();
        server = LoomstepServer.builder(app).host("127.0.0.1").port(0).start();
        server.sync();
        sdk = new FakeSdk("raw");
        sdk.fn("echo").on("raw/echo").retries(0).handler(c -> done("echo"));
        sdk.sync(dev);
        chrome = HeadlessChromium.start();
        browser = chrome.driver();
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(chrome, server, sdk, dev);
    }

    @RegisterExtension
    static final UiScreenshots screenshots = new UiScreenshots(() -> chrome);

    static void open(String hash) {
        chrome.open(dev.url() + "/" + hash);
    }

    static Object js(String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    static long runsPolls() {
        return (Long) js("return performance.getEntriesByType('resource').filter(e => e.name.includes('/v1/runs?')).length");
    }

    @Test
    void theSendDialogTakesNameDataUserIdAndTimeSaysWhereJsonIsWrongAndCopiesAsCurl() throws Exception {
        open("#/runs");
        chrome.await(By.id("open-send"), "Send event on the runs page").click();
        WebElement dialog = chrome.await(By.id("send-dialog"), "the dialog");
        dialog.findElement(By.id("event-name")).sendKeys("raw/echo");
        WebElement data = dialog.findElement(By.id("event-data"));
        data.clear();
        data.sendKeys("{\"a\": 1,", Keys.ENTER, " \"b\": }");
        dialog.findElement(By.id("send-event")).click();
        String error = chrome.awaitText(By.id("send-error"), t -> !t.isBlank(), "the JSON error");
        assertTrue(error.startsWith("Data is not valid JSON: line 2, column 7"), error);
        data.clear();
        data.sendKeys("{\"a\": 1}");
        dialog.findElement(By.id("event-user")).sendKeys("{\"id\": \"u-1\"}");
        dialog.findElement(By.id("event-own-id")).sendKeys("sent-from-dialog-1");
        dialog.findElement(By.id("event-ts")).sendKeys("2026-01-02T03:04:05Z");
        dialog.findElement(By.id("copy-curl")).click();
        String curl = chrome.awaitText(By.id("curl-command"), t -> !t.isBlank(), "the cURL command");
        assertTrue(curl.startsWith("curl -X POST '" + dev.url() + "/e/"), curl);
        assertTrue(curl.contains("\"id\":\"sent-from-dialog-1\"") && curl.contains("\"user\":{\"id\":\"u-1\"}")
                && curl.contains("\"ts\":" + Instant.parse("2026-01-02T03:04:05Z").toEpochMilli()), curl);
        dialog.findElement(By.id("send-event")).click();
        assertEquals("sent-from-dialog-1", chrome.await(By.id("sent-event-id"), "the sent event").getText());
        JsonNode event = api.get("/v1/events/sent-from-dialog-1").get("data");
        assertEquals("u-1", event.get("user").get("id").asText(), event.toString());
        assertEquals(1, event.get("data").get("a").asInt());
        String runId = api.awaitStatus(api.runOf("sent-from-dialog-1"), "Completed").get("run_id").asText();
        chrome.await(runRow(runId), "its run, on the page behind the dialog");
        browser.findElement(By.id("close-send")).click();
        chrome.waiting().withMessage("the dialog closed").until(d -> d.findElements(By.id("send-dialog")).isEmpty());

        open("#/events");
        chrome.await(By.id("open-send"), "Send event on the events page").click();
        chrome.await(By.cssSelector("#send-dialog #event-name"), "the dialog from the events page");
    }

    @Test
    void runsFilterBySeveralStatusesAndByAppAndAutoRefreshCanPause() throws Exception {
        String ok = api.awaitStatus(api.runOf(api.send("tools/ok", Map.of())), "Completed").get("run_id").asText();
        String failed = api.awaitStatus(api.runOf(api.send("tools/fails", Map.of())), "Failed").get("run_id").asText();
        String sleeping = api.runOf(api.send("tools/sleeps", Map.of()));
        String echo = api.awaitStatus(api.runOf(api.send("raw/echo", Map.of())), "Completed").get("run_id").asText();

        open("#/runs");
        chrome.await(runRow(sleeping), "the running run");
        chrome.await(By.id("filter-status-Failed"), "the status checkboxes").click();
        chrome.await(runRow(failed), "the failed run");
        chrome.waiting().withMessage("only failed runs").until(d -> d.findElements(runRow(ok)).isEmpty());
        chrome.await(By.id("filter-status-Completed"), "Completed").click();
        chrome.await(runRow(ok), "completed runs too");
        chrome.await(runRow(failed), "and failed ones");
        assertTrue(browser.findElements(runRow(sleeping)).isEmpty(), "not running ones");
        assertTrue(browser.getCurrentUrl().contains("status=Completed%2CFailed"), browser.getCurrentUrl());

        new Select(chrome.await(By.cssSelector("#filter-app option[value=raw]"), "the app filter").findElement(By.xpath("..")))
                .selectByValue("raw");
        chrome.await(runRow(echo), "the other app's run");
        chrome.waiting().withMessage("only that app's runs").until(d -> d.findElements(runRow(ok)).isEmpty());
        assertEquals(List.of("raw-echo"), new Select(browser.findElement(By.id("filter-function"))).getOptions().stream()
                .map(o -> o.getAttribute("value")).filter(v -> !v.isEmpty()).toList(), "the function filter offers that app's functions");

        open("#/runs");
        chrome.await(runRow(echo), "every run");
        chrome.await(By.id("runs-live"), "the auto-refresh switch").click();
        chrome.waiting().withMessage("auto-refresh off in the address").until(d -> d.getCurrentUrl().contains("live=off"));
        chrome.await(runRow(echo), "the runs, loaded once");
        String later = api.awaitStatus(api.runOf(api.send("raw/echo", Map.of())), "Completed").get("run_id").asText();
        long polls = runsPolls();
        Thread.sleep(2_500); // an absence: two poll periods without a request
        assertEquals(polls, runsPolls(), "no refresh while paused");
        assertTrue(browser.findElements(runRow(later)).isEmpty(), "the new run is not shown while paused");
        browser.findElement(By.id("runs-live")).click();
        chrome.await(runRow(later), "the new run, once auto-refresh is back on");
        api.request("POST", "/v1/runs/" + sleeping + "/cancel", "{}");
    }

    @Test
    void theFunctionsSearchBoxFiltersByNameIdAppOrTrigger() {
        open("#/functions");
        chrome.await(By.cssSelector("[data-test=function][data-function-id=raw-echo]"), "the functions");
        WebElement search = browser.findElement(By.id("function-search"));
        search.sendKeys("tools/fa");
        chrome.waiting().withMessage("only the function triggered by tools/fails")
                .until(d -> d.findElements(By.cssSelector("[data-test=function]")).size() == 1);
        chrome.await(By.cssSelector("[data-test=function][data-function-id=tools-fails]"), "tools-fails");
        search.clear();
        search.sendKeys("raw");
        chrome.await(By.cssSelector("[data-test=function][data-function-id=raw-echo]"), "the raw app's function");
        search.sendKeys("zzz");
        chrome.await(By.id("functions-none"), "nothing found");
    }

    @Test
    void theAppsPageSaysHowManyAppsAreSynced() throws Exception {
        open("#/apps");
        assertEquals("2 of 2 synced", chrome.awaitText(By.id("apps-synced"), t -> !t.isBlank(), "the count"));
        String bad = "{\"appName\": \"raw\", \"url\": \"" + sdk.url() + "\", \"functions\": [{\"id\": \"raw-bad\", \"name\": \"bad\","
                + " \"triggers\": [{\"cron\": \"not a cron\"}], \"steps\": {\"step\": {\"id\": \"step\", \"name\": \"step\","
                + " \"runtime\": {\"type\": \"http\", \"url\": \"" + sdk.url() + "?fnId=raw-bad&stepId=step\"}}}}]}";
        assertEquals(400, api.request("POST", "/fn/register", bad).status());
        chrome.awaitText(By.id("apps-synced"), "1 of 2 synced"::equals, "the failed sync counted");
        sdk.sync(dev);
        chrome.awaitText(By.id("apps-synced"), "2 of 2 synced"::equals, "the synced app counted again");
    }

    @Test
    void theThemeFollowsTheSystemAndTheFooterShowsTheVersion() {
        var cdp = (ChromeDriver) browser;
        try {
            cdp.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
            open("#/runs");
            chrome.await(By.id("runs-table"), "the page");
            assertTrue(brightness("body") < 80, "a dark page in a dark system: " + js("return getComputedStyle(document.body).backgroundColor"));
            cdp.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", "light"))));
            assertTrue(brightness("body") > 200, "a light page in a light system");
        } finally {
            cdp.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features", List.of()));
        }
        assertEquals("v" + Loomstep.VERSION, chrome.awaitText(By.id("version"), t -> !t.isBlank(), "the version"));
    }

    /** The mean of an element's background's red, green and blue. */
    static long brightness(String selector) {
        String rgb = (String) js("return getComputedStyle(document.querySelector('" + selector + "')).backgroundColor");
        var parts = rgb.replaceAll("[^0-9,]", "").split(",");
        return (Long.parseLong(parts[0]) + Long.parseLong(parts[1]) + Long.parseLong(parts[2])) / 3;
    }
}
