package dev.loomstep.devserver;

import static dev.loomstep.devserver.FakeSdk.done;
import static dev.loomstep.devserver.FakeSdk.ops;
import static dev.loomstep.devserver.FakeSdk.planned;
import static dev.loomstep.devserver.FakeSdk.stepRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.protocol.StepIds;
import dev.loomstep.protocol.WireOp;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.Teardown;
import dev.loomstep.testkit.UiScreenshots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * A run of 10,000 parallel branches on its page in a real headless Chromium: the fan-out is one group,
 * collapsed, that draws no branch until it is opened and then draws them a page at a time, so the page
 * stays usable. The run comes from a scripted SDK over loopback HTTP (the branches' count is the point,
 * not the SDK).
 */
@Timeout(600)
class WebUiFanOutBrowserTest {
    static final int N = 10_000;
    static DevServer dev;
    static FakeSdk sdk;
    static Api api;
    static HeadlessChromium chrome;
    static WebDriver browser;
    static String runId;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.001).start();
        api = new Api(dev);
        sdk = new FakeSdk("wide");
        var byHash = new HashMap<String, Integer>();
        for (int i = 0; i < N; i++) {
            byHash.put(StepIds.hash("s" + i, 0), i);
        }
        sdk.fn("wide").on("test/wide").retries(0).handler(c -> {
            if (c.discovery()) {
                if (c.steps().size() == N) {
                    return done(N);
                }
                var missing = new ArrayList<WireOp>();
                for (int i = 0; i < N; i++) {
                    if (!c.has("s" + i)) {
                        missing.add(planned("s" + i));
                    }
                }
                return ops(missing.toArray(WireOp[]::new));
            }
            Integer i = byHash.get(c.stepId());
            return i == null ? ops(new WireOp(c.stepId(), "StepNotFound", null, null, null, null, null)) : ops(stepRun("s" + i, i));
        });
        sdk.sync(dev);
        long began = System.nanoTime();
        runId = api.runOf(api.send("test/wide", Map.of()));
        api.awaitEnd(runId, "Completed", Duration.ofMinutes(8), "the 10,000-branch run");
        System.out.println("[ui-fan-out] " + N + " branches ran in " + (System.nanoTime() - began) / 1_000_000 + " ms");
        chrome = HeadlessChromium.start();
        browser = chrome.driver();
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(chrome, sdk, dev);
    }

    @RegisterExtension
    static final UiScreenshots screenshots = new UiScreenshots(() -> chrome);

    @Test
    void theRunsJsonRouteServesTenThousandBranches() {
        long began = System.nanoTime();
        var r = api.request("GET", "/v1/runs/" + runId, null);
        long millis = (System.nanoTime() - began) / 1_000_000;
        assertEquals(200, r.status());
        JsonNode run = r.json().get("data");
        assertEquals(N, run.get("steps").size());
        System.out.println("[ui-fan-out] GET /v1/runs/{id}: " + r.text().length() + " chars in " + millis + " ms");
    }

    @Test
    void aTenThousandBranchFanOutIsOneCollapsedGroupThatDrawsItsBranchesAPageAtATime() {
        long began = System.nanoTime();
        chrome.open(dev.url() + "/#/runs/" + runId);
        WebElement group = chrome.await(By.cssSelector("[data-test=step-group]"), "the parallel group");
        long shown = (System.nanoTime() - began) / 1_000_000;
        System.out.println("[ui-fan-out] the run page showed its group " + shown + " ms after it was opened");
        assertEquals(String.valueOf(N), group.getAttribute("data-size"));
        assertEquals(N + " parallel steps", group.findElement(By.cssSelector("[data-test=group-title]")).getText());
        assertNull(group.getAttribute("open"), "a big group starts collapsed");
        assertEquals(1, browser.findElements(By.cssSelector("[data-test=step-group]")).size(), "the fan-out is one group");
        assertTrue(browser.findElements(By.cssSelector("[data-test=step-row]")).isEmpty(), "a collapsed group draws no rows");

        group.findElement(By.cssSelector("summary")).click();
        chrome.waiting().withMessage("the first page of branches").until(d -> rows() == 200);
        assertEquals("200 of 10000 shown ·", group.findElement(By.cssSelector("[data-test=group-shown]")).getText());
        group.findElement(By.cssSelector("[data-test=group-more]")).click();
        chrome.waiting().withMessage("the second page of branches").until(d -> rows() == 400);

        // The page refreshes every second; what is open and how much is shown stays as the user left it.
        String before = chrome.awaitText(By.cssSelector("[data-test=group-shown]"), t -> !t.isBlank(), "the count");
        assertEquals("400 of 10000 shown ·", before);
        group = browser.findElement(By.cssSelector("[data-test=step-group]"));
        group.findElement(By.cssSelector("summary")).click();
        chrome.waiting().withMessage("closing the group drops its rows").until(d -> rows() == 0);
    }

    private static int rows() {
        return browser.findElements(By.cssSelector("[data-test=step-group] [data-test=step-row]")).size();
    }
}
