package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.Defer;
import dev.loomstep.Deferred;
import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.Teardown;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * Defers in the web UI, in a real headless Chromium: the run's page lists the runs it deferred (scheduled, with a
 * link to the deferred run, and aborted), the deferred run's page names the run that deferred it, and the runs
 * list's "hide deferred" box leaves deferred runs out.
 */
@Timeout(120)
class DeferBrowserTest {
    static LoomstepDevServer fx;
    static HeadlessChromium chrome;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        var receipt = Function.builder("receipt").trigger(Trigger.deferred()).handler((in, step) -> "receipt " + in.data().path("order").asText());
        // No linger: "charge" is checkpointed with both adds before the abort, so the page has an aborted defer to
        // show (with the default's linger the add would be taken back and only the abort sent, as JS does).
        var order = Function.builder("order").trigger(Trigger.event("shop/order"))
                .checkpointing(dev.loomstep.Checkpointing.builder().linger(Duration.ZERO).build()).handler((in, step) -> {
            step.defer("receipt", Defer.function(receipt).data(Map.of("order", "o1")));
            Deferred survey = step.defer("survey", Defer.function(receipt).data(Map.of("order", "never")));
            step.run("charge", String.class, () -> "charged");
            survey.abort();
            return "done";
        });
        fx = LoomstepDevServer.builder("shop").start(receipt, order);
        chrome = HeadlessChromium.start();
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(chrome, fx);
    }

    @Test
    void theRunPageListsItsDeferredRunsAndTheRunsListCanHideThem() {
        String runId = fx.api.runOf(fx.api.send("shop/order", Map.of()));
        fx.api.awaitEnd(runId, "Completed", Duration.ofSeconds(30), "the order run");
        String child = DeferEndToEndTest.settledDefers(fx.api, runId, 2).get(0).path("run_id").asText();
        fx.api.awaitEnd(child, "Completed", Duration.ofSeconds(30), "the deferred run");

        chrome.open(fx.dev.url() + "/#/runs/" + runId);
        WebElement scheduled = chrome.await(By.cssSelector("#run-defers [data-test=defer][data-defer-id=receipt]"), "the scheduled defer");
        assertEquals("scheduled", scheduled.getAttribute("data-status"));
        assertEquals(child, scheduled.findElement(By.cssSelector("[data-test=deferred-run]")).getAttribute("data-run-id"));
        WebElement aborted = chrome.await(By.cssSelector("#run-defers [data-test=defer][data-defer-id=survey]"), "the aborted defer");
        assertEquals("aborted", aborted.getAttribute("data-status"));
        chrome.screenshot("defers");

        chrome.open(fx.dev.url() + "/#/runs/" + child);
        assertEquals(runId, chrome.await(By.id("deferred-by"), "the deferred run's parent").getText());

        chrome.open(fx.dev.url() + "/#/runs");
        chrome.await(By.cssSelector("[data-test=run-row][data-run-id='" + child + "']"), "the deferred run in the runs list");
        chrome.await(By.id("filter-hide-deferred"), "the hide-deferred box").click();
        chrome.await(By.cssSelector("[data-test=run-row][data-run-id='" + runId + "']"), "the parent run, still listed");
        By childRow = By.cssSelector("[data-test=run-row][data-run-id='" + child + "']");
        chrome.waiting().withMessage("the deferred run, hidden").until(d -> d.findElements(childRow).isEmpty());
        assertTrue(chrome.driver().getCurrentUrl().contains("deferred=hide"), chrome.driver().getCurrentUrl());
    }
}
