package dev.loomstep.devserver;

import static dev.loomstep.testkit.DevServerUi.inRunRow;
import static dev.loomstep.testkit.DevServerUi.runRow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.flow.BatchEvents;
import dev.loomstep.flow.Concurrency;
import dev.loomstep.flow.Debounce;
import dev.loomstep.flow.Throttle;
import dev.loomstep.protocol.Json;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.JsPeer;
import dev.loomstep.testkit.Teardown;
import dev.loomstep.testkit.UiScreenshots;
import dev.loomstep.undertow.LoomstepServer;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The web UI's pages for daily work, in a real headless Chromium, against the embedded devserver
 * running real Loomstep functions and the official JS SDK 4.24 (testkit's JS peer: its {@code peer}
 * and {@code e2e} apps): the events stream with search and Replay, functions with Invoke, run search,
 * filters and pages, Rerun, the run trace (parallel groups, waits, sleeps, invokes, failed attempts),
 * flow-control state, and apps with their sync errors and Resync.
 *
 * <p>With {@code -Dloomstep.ui.updateScreenshots=true} it also copies the README's screenshots to
 * {@code docs/}.
 */
@Timeout(180)
class WebUiWorkflowBrowserTest {
    static DevServer dev;
    static JsPeer peer;
    static LoomstepServer server;
    static Api api;
    static HeadlessChromium chrome;
    static WebDriver browser;
    static final CountDownLatch release = new CountDownLatch(1);

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        JsPeer.assumeAvailable();
        int port;
        try (var s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String origin = "http://127.0.0.1:" + port;
        peer = JsPeer.start(Map.of("INNGEST_API_BASE_URL", origin, "INNGEST_EVENT_API_BASE_URL", origin));
        dev = DevServer.builder().port(port).inMemory().retryDelayScale(0.01)
                .sync(peer.baseUrl()).sync(peer.baseUrl().replace("/api/inngest", "/api/e2e")).start();
        var order = Function.builder("process-order").name("Process order").trigger(Trigger.event("shop/order.placed"))
                .handler((in, step) -> {
                    int total = step.run("price", Integer.class, () -> in.data().path("qty").asInt() * 7);
                    return Map.of("total", total, "sku", in.data().path("sku").asText(""));
                });
        var noop = Function.builder("noop").trigger(Trigger.event("shop/noop")).handler((in, step) -> in.data().path("n").asInt());
        var exclusive = Function.builder("exclusive").trigger(Trigger.event("shop/exclusive")).concurrency(Concurrency.of(1))
                .handler((in, step) -> step.run("hold", Boolean.class, () -> release.await(60, TimeUnit.SECONDS)));
        var throttled = Function.builder("throttled").trigger(Trigger.event("shop/throttled"))
                .throttle(Throttle.of(1, Duration.ofMinutes(1))).handler((in, step) -> "ok");
        var debounced = Function.builder("debounced").trigger(Trigger.event("shop/debounced"))
                .debounce(Debounce.of(Duration.ofMinutes(1))).handler((in, step) -> "ok");
        var batched = Function.builder("batched").trigger(Trigger.event("shop/batched"))
                .batchEvents(BatchEvents.of(2, Duration.ofMinutes(1))).handler((in, step) -> "ok");
        var app = Loomstep.builder("shop").dev(dev.url())
                .functions(order, noop, exclusive, throttled, debounced, batched).build();
        server = LoomstepServer.builder(app).host("127.0.0.1").port(0).start();
        server.sync();
        api = new Api(dev);
        Api.await(() -> api.get("/v1/apps").get("data"), d -> d.size() == 3, "the two JS apps and the Loomstep app");
        chrome = HeadlessChromium.start();
        browser = chrome.driver();
    }

    @AfterAll
    static void stop() {
        release.countDown();
        Teardown.closeAll(chrome, server, dev, peer);
    }

    @RegisterExtension
    static final UiScreenshots screenshots = new UiScreenshots(() -> chrome);

    static void open(String hash) {
        chrome.open(dev.url() + "/" + hash);
    }

    /** Keeps a screenshot of the page for the README when asked to ({@code -Dloomstep.ui.updateScreenshots=true}). */
    static void readmeShot(String name) throws Exception {
        chrome.screenshot(name);
        if (Boolean.getBoolean("loomstep.ui.updateScreenshots")) {
            Path docs = Files.createDirectories(JsPeer.repoRoot().resolve("docs"));
            Files.copy(Path.of("target", "ui-screenshots", name + ".png"), docs.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static String text(WebElement in, String field) {
        return in.findElement(By.cssSelector("[data-test=" + field + "]")).getText();
    }

    @Test
    void theEventsStreamSearchesAndReplaysAnEvent() throws Exception {
        String first = api.send("shop/order.placed", Map.of("qty", 2, "sku", "tea"));
        String run = api.awaitStatus(api.runOf(first), "Completed").get("run_id").asText();
        api.send("peer/seq", Map.of());
        api.awaitStatus(api.runOf(api.send("e2e/flaky", Map.of())), "Completed"); // emits inngest/function.finished

        open("#/events");
        By row = By.cssSelector("[data-test=event-row][data-event-id='" + first + "']");
        chrome.await(row, "the event in the stream");
        chrome.awaitText(By.cssSelector("[data-test=event-row][data-event-id='" + first + "'] [data-test=event-runs]"),
                t -> t.contains("shop-process-order"), "the run it started");
        assertTrue(browser.findElements(By.cssSelector("[data-test=event-row][data-event-name='inngest/function.finished']")).isEmpty(),
                "Inngest's own events are hidden by default");
        readmeShot("ui-events");
        browser.findElement(By.id("events-internal")).click();
        chrome.await(By.cssSelector("[data-test=event-row][data-event-name='inngest/function.finished']"), "the internal events, shown");

        WebElement search = browser.findElement(By.id("event-search"));
        search.sendKeys("shop/order");
        browser.findElement(By.id("event-search-go")).click();
        chrome.waiting().withMessage("only shop/order events").until(d -> d.findElements(
                By.cssSelector("[data-test=event-row]:not([data-event-name='shop/order.placed'])")).isEmpty());
        chrome.await(row, "the event found by the start of its name");
        open("#/events?search=" + first);
        chrome.await(row, "the event found by its id");
        assertEquals(1, browser.findElements(By.cssSelector("[data-test=event-row]")).size());

        browser.findElement(By.cssSelector("[data-test=event-row][data-event-id='" + first + "'] [data-test=event-link]")).click();
        chrome.awaitText(By.id("event-id"), first::equals, "the event page");
        assertTrue(chrome.awaitText(By.cssSelector("[data-test=event-data-shown]"), t -> t.contains("tea"), "its JSON").contains("\"qty\": 2"));
        chrome.await(runRow(run), "the run it started");
        JsonNode whole = Json.mapper().readTree(browser.findElement(By.cssSelector("#view [data-test=event-json]")).getAttribute("textContent"));
        assertEquals(first, whole.get("id").asText(), "the whole event as JSON");
        assertEquals("shop/order.placed", whole.get("name").asText());
        chrome.await(By.id("replay-event"), "Replay").click();
        WebElement replayed = chrome.await(By.id("replayed-event"), "the replayed event");
        String again = replayed.getAttribute("data-event-id");
        JsonNode newRun = api.awaitStatus(api.runOf(again), "Completed");
        assertEquals("tea", newRun.get("output").get("sku").asText(), "the replay carries the same data");
        replayed.click();
        chrome.await(runRow(newRun.get("run_id").asText()), "the replay's run on its page");
    }

    @Test
    void aFunctionShowsItsConfigAndInvokeRunsItWithTheEditedData() {
        open("#/functions");
        chrome.awaitText(By.cssSelector("[data-test=function][data-function-id='shop-throttled'] [data-test=function-flow]"),
                t -> t.contains("throttle 1/1m"), "the throttle config");
        assertTrue(text(browser.findElement(By.cssSelector("[data-test=function][data-function-id='shop-exclusive']")), "function-flow")
                .contains("concurrency 1"));

        open("#/functions/shop-process-order");
        chrome.awaitText(By.id("function-name"), "Process order"::equals, "the function page");
        WebElement editor = browser.findElement(By.id("invoke-data"));
        editor.clear();
        editor.sendKeys("[1]");
        browser.findElement(By.id("invoke-function")).click();
        assertTrue(chrome.awaitText(By.cssSelector("#invoke-card [data-test=action-error]"), t -> !t.isBlank(), "the refusal")
                .contains("JSON object"));
        editor.clear();
        editor.sendKeys("{\"qty\": 6, \"sku\": \"cocoa\"}");
        browser.findElement(By.id("invoke-function")).click();
        String runId = chrome.await(By.id("invoked-run"), "the invoked run").getAttribute("data-run-id");
        assertTrue(browser.findElements(By.cssSelector("#invoke-card [data-test=action-error]")).isEmpty(), "the old refusal is gone");
        JsonNode run = api.awaitStatus(runId, "Completed");
        assertEquals(42, run.get("output").get("total").asInt(), run.toString());
        assertEquals("inngest/function.invoked", api.get("/v1/events/" + run.get("event_id").asText()).get("data").get("name").asText());
        chrome.await(runRow(runId), "the run among the function's recent runs");

        open("#/functions/child"); // the JS SDK's function, by its own id
        chrome.awaitText(By.id("function-name"), "child"::equals, "the JS function's page");
        WebElement jsEditor = browser.findElement(By.id("invoke-data"));
        jsEditor.clear();
        jsEditor.sendKeys("{\"v\": 4}");
        browser.findElement(By.id("invoke-function")).click();
        String jsRun = chrome.await(By.id("invoked-run"), "the JS run").getAttribute("data-run-id");
        assertEquals(8, api.awaitStatus(jsRun, "Completed").get("output").get("doubled").asInt(), "the JS SDK got the data");
    }

    @Test
    void runsAreSearchedFilteredPagedAndRerun() throws Exception {
        var batch = Json.nodes().arrayNode();
        for (int i = 0; i < 105; i++) {
            batch.addObject().put("name", "shop/noop").putObject("data").put("n", i);
        }
        assertEquals(200, api.request("POST", "/e/test", batch.toString()).status());
        Api.await(() -> api.get("/v1/runs?function=noop&status=Completed&limit=200").get("data"), d -> d.size() == 105, "105 runs");

        open("#/runs?function=noop");
        chrome.awaitText(By.id("runs-count"), "100+ runs"::equals, "the first page");
        assertEquals("shop-noop", new Select(browser.findElement(By.id("filter-function"))).getFirstSelectedOption()
                .getAttribute("value"), "the function's own id selects it");
        browser.findElement(By.id("runs-more")).click();
        chrome.awaitText(By.id("runs-count"), "105 runs"::equals, "the older runs");
        @SuppressWarnings("unchecked")
        List<String> shown = (List<String>) ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
                "return [...document.querySelectorAll('[data-test=run-started]')].map(e => e.title)");
        assertEquals(105, shown.size(), "every noop run is listed");
        // ISO strings do not sort as instants ("…47Z" sorts after "…47.032Z"): compare the instants.
        List<java.time.Instant> started = shown.stream().map(java.time.Instant::parse).toList();
        assertEquals(started.stream().sorted(java.util.Comparator.reverseOrder()).toList(), started, "newest start first");

        String eventId = api.send("shop/order.placed", Map.of("qty", 1));
        String runId = api.awaitStatus(api.runOf(eventId), "Completed").get("run_id").asText();
        open("#/runs?search=" + eventId);
        chrome.await(runRow(runId), "the run found by its event id");
        assertEquals(1, browser.findElements(By.cssSelector("[data-test=run-row]")).size());
        open("#/runs");
        WebElement search = chrome.await(By.id("run-search"), "the search box");
        search.sendKeys(runId);
        browser.findElement(By.id("run-search-go")).click();
        chrome.waiting().withMessage("only the searched run").until(d -> d.findElements(By.cssSelector("[data-test=run-row]")).size() == 1);
        chrome.await(runRow(runId), "the run found by its id");
        browser.findElement(By.id("filter-status-Failed")).click();
        chrome.await(By.id("runs-empty"), "no failed run with that id");
        open("#/runs?function=process-order&range=15m");
        chrome.await(runRow(runId), "a run of the last 15 minutes");

        open("#/runs/" + runId);
        WebElement download = chrome.await(By.id("download-history"), "Download history");
        assertEquals("run-" + runId + "-history.json", download.getAttribute("download"), "saved as a file");
        Object fetched = ((org.openqa.selenium.JavascriptExecutor) browser).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "fetch(arguments[0]).then(r => r.json()).then(j => done(j.format + ' ' + j.run_id + ' ' + j.steps.length))",
                download.getAttribute("href"));
        assertEquals("loomstep.run-history " + runId + " " + api.get("/v1/runs/" + runId + "/history").get("steps").size(), fetched,
                "the link gives the run's history");
        chrome.await(By.id("rerun-run"), "Rerun").click();
        WebElement rerunLink = chrome.await(By.id("rerun-link"), "where the rerun is");
        String rerun = rerunLink.getAttribute("data-run-id");
        JsonNode again = api.awaitStatus(rerun, "Completed");
        assertEquals(eventId, again.get("event_id").asText(), "a rerun runs the same event");
        assertEquals(runId, again.get("rerun_of").asText(), "the REST API says what it reran");
        chrome.await(By.cssSelector("#reruns [data-test=rerun][data-run-id='" + rerun + "']"), "the rerun, listed on the old run");
        rerunLink.click();
        chrome.awaitText(By.id("run-id"), rerun::equals, "the new run's page");
        chrome.awaitText(By.id("rerun-of"), runId::equals, "marked as a rerun of the old run");
    }

    @Test
    void aFanOutRunGroupsItsParallelStepsCollapsed() throws Exception {
        String runId = api.runOf(api.send("e2e/fanout-100", Map.of()));
        api.awaitStatus(runId, "Completed");
        open("#/runs/" + runId);
        WebElement group = chrome.await(By.cssSelector("[data-test=step-group]"), "the parallel group");
        assertEquals("100", group.getAttribute("data-size"));
        assertEquals("100 parallel steps", text(group, "group-title"));
        assertEquals(null, group.getAttribute("open"), "a big group starts collapsed");
        assertTrue(browser.findElements(By.cssSelector("[data-test=step-row][data-step-name='s0']")).isEmpty(),
                "a collapsed group draws no rows");
        group.findElement(By.cssSelector("summary")).click();
        WebElement s0 = chrome.await(By.cssSelector("[data-test=step-row][data-step-name='s0']"), "the expanded branches");
        readmeShot("ui-fanout-run");
        List<String> names = browser.findElements(By.cssSelector("[data-test=step-group] [data-test=step-row]")).stream()
                .map(e -> e.getAttribute("data-step-name")).toList();
        assertEquals(100, names.size());
        assertFalse(s0.findElement(By.cssSelector("[data-test=step-output]")).isDisplayed(), "outputs collapsed");
    }

    @Test
    void waitsSleepsInvokesAndFailedAttemptsSayWhatTheyAre() throws Exception {
        String waiting = api.runOf(api.send("peer/wait", Map.of("id", 7)));
        Api.await(() -> api.run(waiting).get("steps"), s -> s.size() == 1, "the wait");
        open("#/runs/" + waiting);
        WebElement wait = chrome.await(By.cssSelector("[data-test=step-wait]"), "the wait");
        assertEquals("peer/approve", text(wait, "wait-event"));
        assertEquals("event.data.id == async.data.id", text(wait, "wait-expression"));
        assertFalse(text(wait, "wait-deadline").isBlank());
        assertEquals("waiting", text(wait, "wait-outcome"));
        readmeShot("ui-waiting-run");
        chrome.await(By.id("cancel-run"), "Cancel").click();
        chrome.await(By.id("cancel-confirm"), "the confirmation").click();
        chrome.awaitText(By.cssSelector("[data-test=step-row] [data-test=step-status]"), "cancelled"::equals,
                "the wait of a cancelled run is no longer waiting");
        assertEquals("cancelled", api.run(waiting).get("steps").get(0).get("status").asText());

        String timedOut = api.runOf(api.send("e2e/wait-quick", Map.of()));
        api.awaitStatus(timedOut, "Completed");
        open("#/runs/" + timedOut);
        assertEquals("timed out", chrome.awaitText(By.cssSelector("[data-test=wait-outcome]"), t -> !t.isBlank(), "the outcome"));

        String matched = api.runOf(api.send("peer/wait", Map.of("id", 8)));
        Api.await(() -> api.run(matched).get("steps"), s -> s.size() == 1, "the second wait");
        String answer = api.send("peer/approve", Map.of("id", 8));
        api.awaitStatus(matched, "Completed");
        open("#/runs/" + matched);
        assertEquals("matched", chrome.awaitText(By.cssSelector("[data-test=wait-outcome]"), t -> !t.isBlank(), "the outcome"));
        assertEquals(answer, browser.findElement(By.cssSelector("[data-test=wait-matched]")).getText());

        String parent = api.runOf(api.send("peer/invoke", Map.of()));
        api.awaitStatus(parent, "Completed");
        open("#/runs/" + parent);
        WebElement child = chrome.await(By.cssSelector("[data-test=invoke-run]"), "the invoked run's link");
        String childId = child.getText();
        assertEquals("completed", text(browser.findElement(By.cssSelector("[data-test=step-invoke]")), "invoke-outcome"));
        child.click();
        chrome.awaitText(By.id("run-id"), childId::equals, "the child run");
        chrome.await(By.id("parent-run"), "the link back").click();
        chrome.awaitText(By.id("run-id"), parent::equals, "back on the parent");

        String sleeper = api.runOf(api.send("peer/sleep-until", Map.of()));
        Api.await(() -> api.run(sleeper).get("steps"), s -> s.size() == 1, "the sleep");
        open("#/runs/" + sleeper);
        assertTrue(chrome.awaitText(By.cssSelector("[data-test=step-sleep]"), t -> !t.isBlank(), "the sleep").startsWith("sleeping until 2030-01-01"));
        api.request("POST", "/v1/runs/" + sleeper + "/cancel", "{}");

        String flaky = api.runOf(api.send("e2e/flaky", Map.of()));
        api.awaitStatus(flaky, "Completed");
        open("#/runs/" + flaky);
        chrome.await(By.cssSelector("[data-test=attempt-error]"), "the failed attempts");
        List<WebElement> failed = browser.findElements(By.cssSelector("[data-test=attempt-error]"));
        assertEquals(2, failed.size());
        assertTrue(failed.get(0).getText().contains("boom 0"), failed.get(0).getText());
        assertTrue(failed.get(1).getText().contains("boom 1"), failed.get(1).getText());
        assertTrue(text(failed.get(0), "attempt-backoff").startsWith("· retry after"), "each failure says its backoff");
        assertTrue(browser.findElements(By.cssSelector("[data-test=step-error]")).isEmpty(), "a step that recovered shows no error of its own");
        assertTrue(api.run(flaky).get("steps").get(0).get("error").isNull(), "nor does the REST API");
    }

    @Test
    void aRunSaysWhatFlowControlDoesToIt() throws Exception {
        String holder = api.runOf(api.send("shop/exclusive", Map.of()));
        Api.await(() -> api.run(holder), r -> !r.get("run_started_at").isNull(), "the first exclusive run to hold its slot");
        String queued = api.runOf(api.send("shop/exclusive", Map.of()));
        open("#/runs/" + queued);
        assertTrue(chrome.awaitText(By.cssSelector("[data-test=run-flow-detail]"), t -> t.contains("concurrency"), "the concurrency wait")
                .contains("queued behind the concurrency limit (limit 1)"));
        release.countDown();
        api.awaitStatus(queued, "Completed");

        api.awaitStatus(api.runOf(api.send("shop/throttled", Map.of())), "Completed");
        String throttled = api.runOf(api.send("shop/throttled", Map.of()));
        open("#/runs");
        assertTrue(chrome.awaitText(inRunRow(throttled, "run-flow"), t -> !t.isBlank(), "the throttle chip").startsWith("throttle until"));
        readmeShot("ui-runs");

        api.send("shop/batched", Map.of("n", 1));
        String second = api.send("shop/batched", Map.of("n", 2));
        String batched = Api.await(() -> api.get("/v1/runs?function=batched").get("data"), d -> d.size() == 1, "the batch's run")
                .get(0).get("run_id").asText();
        open("#/runs?search=" + second);
        assertEquals("batch ×2", chrome.awaitText(inRunRow(batched, "run-flow"), t -> !t.isBlank(), "the batch chip"));

        String held = api.send("shop/debounced", Map.of());
        open("#/functions/debounced");
        WebElement h = chrome.await(By.cssSelector("[data-test=held-events][data-kind=debounce]"), "the held debounce");
        assertTrue(h.getText().contains(held), h.getText());
        api.request("POST", "/v1/runs/" + throttled + "/cancel", "{}");
    }

    @Test
    void appsShowSdkSyncErrorsAndResync() {
        open("#/apps");
        WebElement shop = chrome.await(By.cssSelector("[data-test=app][data-app-id='shop']"), "the Loomstep app");
        assertEquals("synced", text(shop, "app-sync-status"));
        assertTrue(text(browser.findElement(By.cssSelector("[data-test=app][data-app-id='peer']")), "app-sdk").startsWith("js:"));
        assertFalse(text(browser.findElement(By.cssSelector("[data-test=app][data-app-id='peer']")), "app-framework").equals("—"));

        String bad = "{\"appName\": \"shop\", \"url\": \"" + server.url() + "\", \"functions\": [{\"id\": \"shop-bad\", \"name\": \"bad\","
                + " \"triggers\": [{\"cron\": \"not a cron\"}], \"steps\": {\"step\": {\"id\": \"step\", \"name\": \"step\","
                + " \"runtime\": {\"type\": \"http\", \"url\": \"" + server.url() + "?fnId=shop-bad&stepId=step\"}}}}]}";
        assertEquals(400, api.request("POST", "/fn/register", bad).status());
        String error = chrome.awaitText(By.cssSelector("[data-test=app][data-app-id='shop'] [data-test=app-sync-error]"),
                t -> !t.isBlank(), "the sync error");
        assertTrue(error.contains("cron"), error);
        assertEquals("sync failed", text(browser.findElement(By.cssSelector("[data-test=app][data-app-id='shop']")), "app-sync-status"));

        browser.findElement(By.cssSelector("[data-test=app][data-app-id='shop'] [data-test=app-resync]")).click();
        chrome.awaitText(By.cssSelector("[data-test=app][data-app-id='shop'] [data-test=app-sync-status]"), "synced"::equals,
                "the resynced app");
        assertTrue(browser.findElements(By.cssSelector("[data-test=app][data-app-id='shop'] [data-test=app-sync-error]")).isEmpty());
    }
}
