package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.Teardown;
import dev.loomstep.testkit.UiScreenshots;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;

/** The events page's second pass (issue 23), in a real headless Chromium: a time range, and an event expanded inline with its payload and runs. */
@Timeout(180)
class WebUiEventsBrowserTest {
    static DevServer dev;
    static FakeSdk sdk;
    static Api api;
    static HeadlessChromium chrome;
    static String early, late, earlyRun;
    static Instant between;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.01).start();
        api = new Api(dev);
        sdk = new FakeSdk("ev");
        sdk.fn("greets").on("ev/hello").handler(c -> done("hi " + c.event().path("data").path("who").asText()));
        sdk.sync(dev);
        early = api.send("ev/hello", Map.of("who", "early bird"));
        earlyRun = api.runOf(early);
        api.awaitStatus(earlyRun, "Completed");
        Thread.sleep(1_100); // the page's range inputs take whole seconds
        between = Instant.now();
        Thread.sleep(1_100);
        late = api.send("ev/other", Map.of("who", "latecomer"));
        chrome = HeadlessChromium.start();
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(chrome, sdk, dev);
    }

    /** The page as each test left it, to look at when one fails: target/ui-screenshots/<test>.png. */
    @RegisterExtension
    static final UiScreenshots screenshots = new UiScreenshots(() -> chrome);

    static Object js(String script, Object... args) {
        return ((JavascriptExecutor) chrome.driver()).executeScript(script, args);
    }

    static List<String> shownEvents() {
        return chrome.driver().findElements(By.cssSelector("[data-test=event-row]")).stream().map(e -> e.getAttribute("data-event-id")).toList();
    }

    static List<String> ids(JsonNode page) {
        var out = new java.util.ArrayList<String>();
        page.get("data").forEach(e -> out.add(e.get("id").asText()));
        return out;
    }

    static String localOf(Instant t) {
        ZoneId zone = ZoneId.of((String) js("return Intl.DateTimeFormat().resolvedOptions().timeZone"));
        return LocalDateTime.ofInstant(t, zone).withNano(0).toString();
    }

    @Test
    void aTimeRangeListsOnlyTheEventsReceivedInIt() {
        assertEquals(List.of(late), ids(api.get("/v1/events?internal=false&from=" + between)));
        assertEquals(List.of(early), ids(api.get("/v1/events?internal=false&until=" + between)));
        Api.Response bad = api.request("GET", "/v1/events?from=" + between + "&until=" + between, null);
        assertEquals(400, bad.status());
        assertEquals("from must be before until", bad.json().get("error").asText());

        chrome.open(dev.url() + "/#/events");
        chrome.waiting().withMessage("both events").until(d -> shownEvents().equals(List.of(late, early)));
        js("document.getElementById('events-until').value = arguments[0];", localOf(between));
        chrome.await(By.id("events-range-apply"), "Apply range").click();
        chrome.waiting().withMessage("only the early event").until(d -> shownEvents().equals(List.of(early)));
        js("document.getElementById('events-until').value = '';");
        js("document.getElementById('events-from').value = arguments[0];", localOf(between));
        chrome.await(By.id("events-range-apply"), "Apply range").click();
        chrome.waiting().withMessage("only the late event").until(d -> shownEvents().equals(List.of(late)));
        new org.openqa.selenium.support.ui.Select(chrome.await(By.id("events-range"), "the relative range")).selectByValue("1h");
        chrome.waiting().withMessage("both again, in the last hour").until(d -> shownEvents().equals(List.of(late, early)));
    }

    @Test
    void anEventExpandsInlineWithItsPayloadAndRuns() {
        chrome.open(dev.url() + "/#/events");
        WebElement row = chrome.await(By.cssSelector("[data-test=event-row][data-event-id='" + early + "']"), "the early event");
        row.findElement(By.cssSelector("[data-test=event-expand]")).click();
        WebElement inline = chrome.await(By.cssSelector("[data-test=event-inline-row][data-event-id='" + early + "']"), "the event inline");
        assertTrue(inline.findElement(By.cssSelector("[data-test=event-inline-payload]")).getText().contains("\"who\": \"early bird\""));
        assertEquals(earlyRun, inline.findElement(By.cssSelector("[data-test=event-inline-run]")).getAttribute("data-run-id"));
        chrome.await(By.cssSelector("[data-test=event-row][data-event-id='" + late + "'] [data-test=event-expand]"), "the late event").click();
        chrome.await(By.cssSelector("[data-test=event-inline-row][data-event-id='" + late + "'] [data-test=event-inline-no-runs]"), "no runs for it");
        assertEquals(2, chrome.driver().findElements(By.cssSelector("[data-test=event-inline-row]")).size(), "both stay open across refreshes");
    }
}
