package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.sleepJs;
import static dev.loomstep.devserver.FakeSdk.stepRun;
import static dev.loomstep.testkit.DevServerUi.runRow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.Teardown;
import dev.loomstep.testkit.UiScreenshots;
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
import org.openqa.selenium.WebElement;

/**
 * The runs list's second pass (issue 23), in a real headless Chromium: the exact total, the time field
 * (queued, started, ended) with an absolute range, the column picker (Trigger, App, Queued, Ended;
 * remembered across loads) and a run expanded inline.
 */
@Timeout(180)
class WebUiRunsListBrowserTest {
    static DevServer dev;
    static FakeSdk sdk;
    static Api api;
    static HeadlessChromium chrome;
    static String ann, bob, done1, done2, sleeping;
    static Instant beforeAll, betweenThem;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.01).start();
        api = new Api(dev);
        sdk = new FakeSdk("list");
        sdk.fn("works").on("list/works").handler(c -> c.has("compute") ? done(c.data("compute")) : ops(stepRun("compute", 7)));
        sdk.fn("sleeps").on("list/sleeps").handler(c -> ops(sleepJs("nap", "1h")));
        sdk.sync(dev);
        beforeAll = Instant.now().minusSeconds(1);
        ann = api.runOf(api.send("list/works", Map.of("user", "ann", "n", 3)));
        bob = api.runOf(api.send("list/works", Map.of("user", "bob", "n", 5)));
        api.awaitStatus(ann, "Completed");
        api.awaitStatus(bob, "Completed");
        done1 = api.runOf(api.send("list/works", Map.of()));
        done2 = api.runOf(api.send("list/works", Map.of()));
        api.awaitStatus(done1, "Completed");
        api.awaitStatus(done2, "Completed");
        Thread.sleep(20);
        betweenThem = Instant.now();
        Thread.sleep(1_100); // the page's range inputs take whole seconds
        sleeping = api.runOf(api.send("list/sleeps", Map.of()));
        Api.await(() -> api.run(sleeping), r -> r.get("steps").size() > 0, "the sleep");
        chrome = HeadlessChromium.start();
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(chrome, sdk, dev);
    }

    /** The page as each test left it, to look at when one fails: target/ui-screenshots/<test>.png. */
    @RegisterExtension
    static final UiScreenshots screenshots = new UiScreenshots(() -> chrome);

    static void open(String hash) {
        chrome.open(dev.url() + "/" + hash);
    }

    static Object js(String script, Object... args) {
        return ((JavascriptExecutor) chrome.driver()).executeScript(script, args);
    }

    static List<String> shownRuns() {
        return chrome.driver().findElements(By.cssSelector("[data-test=run-row]")).stream().map(e -> e.getAttribute("data-run-id")).toList();
    }

    @Test
    void theTotalIsExactAndFollowsTheFilters() {
        JsonNode page = api.get("/v1/runs?limit=1&count=true");
        assertEquals(1, page.get("data").size());
        assertEquals(5, page.get("total").asLong(), page.toString());
        assertEquals(4, api.get("/v1/runs?limit=1&count=true&function=works").get("total").asLong());
        assertEquals(1, api.get("/v1/runs?limit=1&count=true&status=Running").get("total").asLong());
        open("#/runs?limit=1");
        chrome.awaitText(By.id("runs-total"), "· 5 in all"::equals, "the total");
        open("#/runs?status=Completed");
        chrome.awaitText(By.id("runs-total"), "· 4 in all"::equals, "the total of completed runs");
    }

    @Test
    void theTimeFieldPicksWhichTimeAnAbsoluteRangeBounds() {
        String from = betweenThem.toString();
        // By start (the default) and by queue time, only the sleeping run is after the moment between them;
        // by end time none is (the completed runs ended before it; the sleeping one has not ended).
        assertEquals(List.of(sleeping), ids(api.get("/v1/runs?from=" + from)));
        assertEquals(List.of(sleeping), ids(api.get("/v1/runs?time_field=queued&from=" + from)));
        assertEquals(List.of(), ids(api.get("/v1/runs?time_field=ended&from=" + from)));
        assertEquals(List.of(done2, done1, bob, ann), ids(api.get("/v1/runs?time_field=ended&from=" + beforeAll + "&until=" + from)));
        Api.Response bad = api.request("GET", "/v1/runs?time_field=finished", null);
        assertEquals(400, bad.status());
        assertEquals("time_field must be queued, started or ended; got \"finished\"", bad.json().get("error").asText());

        open("#/runs");
        chrome.await(runRow(sleeping), "the runs");
        new org.openqa.selenium.support.ui.Select(chrome.await(By.id("filter-time-field"), "the time field")).selectByValue("ended");
        chrome.await(By.cssSelector("#filter-time-field option[value=ended][selected]"), "Ended kept in the URL");
        // datetime-local takes local time; the page turns it into an instant
        js("document.getElementById('filter-from').value = arguments[0];", localOf(beforeAll));
        js("document.getElementById('filter-until').value = arguments[0];", localOf(betweenThem));
        chrome.await(By.id("filter-range-apply"), "Apply range").click();
        chrome.waiting().withMessage("only the runs that ended in the range").until(d -> shownRuns().equals(List.of(done2, done1, bob, ann)));
        chrome.awaitText(By.id("runs-total"), "· 4 in all"::equals, "their total");
        String hash = (String) js("return location.hash");
        assertTrue(hash.contains("field=ended") && hash.contains("from=") && hash.contains("until="), hash);
    }

    @Test
    void theColumnPickerAddsTriggerAppQueuedAndEndedAndRemembersThem() {
        js("localStorage.removeItem('loomstep.runs.columns')");
        open("#/runs");
        chrome.await(runRow(done1), "the runs");
        assertTrue(chrome.driver().findElements(By.cssSelector("[data-test=run-trigger]")).isEmpty(), "no Trigger column by default");
        chrome.await(By.cssSelector("#column-picker summary"), "Columns").click();
        for (String c : List.of("trigger", "app", "queued", "ended")) {
            chrome.await(By.id("column-" + c), c).click();
        }
        WebElement row = chrome.await(runRow(done1), "the run");
        assertEquals("list/works", row.findElement(By.cssSelector("[data-test=run-trigger]")).getText());
        assertEquals("list", row.findElement(By.cssSelector("[data-test=run-app]")).getText());
        assertTrue(!row.findElement(By.cssSelector("[data-test=run-ended]")).getText().equals("—"));
        assertEquals("—", chrome.await(runRow(sleeping), "the sleeping run").findElement(By.cssSelector("[data-test=run-ended]")).getText());
        chrome.await(By.id("column-duration"), "Duration").click(); // and one taken away

        chrome.driver().navigate().refresh();
        row = chrome.await(runRow(done1), "the run after a reload");
        assertEquals("list/works", row.findElement(By.cssSelector("[data-test=run-trigger]")).getText(), "the columns were remembered");
        assertTrue(row.findElements(By.cssSelector("[data-test=run-duration]")).isEmpty(), "Duration stays hidden");
        assertEquals(List.of("RUN", "TRIGGER", "FUNCTION", "APP", "STATUS", "QUEUED", "STARTED ▾", "ENDED"), // headers are upper-cased by CSS
                chrome.driver().findElements(By.cssSelector("#runs-table thead th")).stream().map(WebElement::getText).toList());
        js("localStorage.removeItem('loomstep.runs.columns')");
    }

    @Test
    void aRowExpandsToShowTheRunInline() {
        open("#/runs");
        chrome.await(runRow(done1), "the run").findElement(By.cssSelector("[data-test=run-expand]")).click();
        WebElement inline = chrome.await(By.cssSelector("[data-test=run-inline-row][data-run-id='" + done1 + "']"), "the run inline");
        chrome.waiting().withMessage("its step").until(d -> !inline.findElements(By.cssSelector("[data-test=inline-step][data-step-name=compute]")).isEmpty());
        assertEquals("7", inline.findElement(By.cssSelector("[data-test=inline-output]")).getText());
        assertEquals("Completed", inline.findElement(By.cssSelector("[data-test=inline-status]")).getText());
        // it stays open while the list refreshes, and closes again
        chrome.waiting().withMessage("a refresh later").until(d -> (Long) js("return performance.getEntriesByType('resource')"
                + ".filter(e => e.name.includes('/v1/runs?')).length") >= 3);
        assertEquals(1, chrome.driver().findElements(By.cssSelector("[data-test=run-inline-row]")).size());
        chrome.await(runRow(done1), "the run").findElement(By.cssSelector("[data-test=run-expand]")).click();
        chrome.waiting().withMessage("closed").until(d -> d.findElements(By.cssSelector("[data-test=run-inline-row]")).isEmpty());
    }

    @Test
    void anExpressionSearchesTheRunsEventOutputAndStatusAndABadOneIsOneClearLine() {
        assertEquals(List.of(ann), ids(api.get("/v1/runs?expression=" + enc("event.data.user == \"ann\""))));
        assertEquals(List.of(bob), ids(api.get("/v1/runs?expression=" + enc("event.data.n > 4 && output == 7"))));
        assertEquals(List.of(sleeping), ids(api.get("/v1/runs?expression=" + enc("run.status == \"Running\""))));
        JsonNode paged = api.get("/v1/runs?limit=1&expression=" + enc("has(event.data.user)"));
        assertEquals(List.of(bob), ids(paged));
        assertEquals(List.of(ann), ids(api.get("/v1/runs?limit=1&expression=" + enc("has(event.data.user)") + "&cursor="
                + paged.get("next_cursor").asText())));
        Api.Response bad = api.request("GET", "/v1/runs?expression=" + enc("event.data.user =="), null);
        assertEquals(400, bad.status(), bad.text());
        assertTrue(bad.json().get("error").asText().startsWith("expression: invalid expression \"event.data.user ==\": "), bad.text());

        open("#/runs");
        chrome.await(runRow(ann), "the runs");
        WebElement box = chrome.await(By.id("run-expression"), "the expression box");
        box.sendKeys("event.data.user == \"bob\"", org.openqa.selenium.Keys.ENTER);
        chrome.waiting().withMessage("bob's run alone").until(d -> shownRuns().equals(List.of(bob)));
        box = chrome.await(By.id("run-expression"), "the expression box");
        box.clear();
        box.sendKeys("event.data.user ==", org.openqa.selenium.Keys.ENTER);
        String error = chrome.awaitText(By.id("run-expression-error"), t -> !t.isBlank(), "the expression's error");
        assertTrue(error.startsWith("expression: invalid expression \"event.data.user ==\": "), error);
        assertTrue(shownRuns().isEmpty());
        assertTrue(chrome.driver().findElements(By.cssSelector("[data-test=view-error]")).isEmpty(), "one error, not two");
    }

    static String enc(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    static List<String> ids(JsonNode page) {
        var out = new java.util.ArrayList<String>();
        page.get("data").forEach(r -> out.add(r.get("run_id").asText()));
        return out;
    }

    static String localOf(Instant t) {
        return java.time.LocalDateTime.ofInstant(t, java.time.ZoneId.of((String) js("return Intl.DateTimeFormat().resolvedOptions().timeZone")))
                .withNano(0).plusSeconds(t.getNano() > 0 ? 1 : 0).toString();
    }
}
