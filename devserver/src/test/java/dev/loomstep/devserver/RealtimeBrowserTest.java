package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.Teardown;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * A run's realtime messages on its page, in a real headless Chromium under the UI's strict CSP: what the
 * run published before the page opened is listed at once, and what it publishes while the page is open
 * appears live (server-sent events), without a reload.
 */
@Timeout(120)
class RealtimeBrowserTest {
    static LoomstepDevServer fx;
    static HeadlessChromium chrome;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        var order = Function.builder("tracked").trigger(Trigger.event("shop/track")).handler((in, step) -> {
            step.publish("picked", "orders/5", "status", Map.of("state", "picked"));
            step.waitForEvent("go", WaitForEvent.of("shop/ship").timeout(Duration.ofMinutes(1)));
            step.publish("shipped", "orders/5", "status", Map.of("state", "shipped"));
            return "ok";
        });
        fx = LoomstepDevServer.builder("shop").start(order);
        chrome = HeadlessChromium.start();
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(chrome, fx);
    }

    @Test
    void theRunPageListsWhatTheRunPublishedAndThenWhatItPublishesLive() {
        String runId = fx.api.runOf(fx.api.send("shop/track", Map.of()));
        Api.await(() -> fx.dev.realtime().history(runId).size(), n -> n == 1, "the first publish");

        chrome.open(fx.dev.url() + "/#/runs/" + runId);
        WebElement first = chrome.await(By.cssSelector("#run-realtime [data-test=realtime-message]"), "the run's first message");
        assertEquals("orders/5", first.findElement(By.cssSelector("[data-test=realtime-channel]")).getText());
        assertEquals("status", first.findElement(By.cssSelector("[data-test=realtime-topic]")).getText());
        assertEquals("{\"state\":\"picked\"}", first.findElement(By.cssSelector("[data-test=realtime-data]")).getText());
        chrome.awaitText(By.cssSelector("[data-test=realtime-state]"), "live"::equals, "the live stream");

        fx.api.send("shop/ship", Map.of());
        chrome.awaitText(By.cssSelector("#run-realtime tbody"), t -> t.contains("shipped"), "the message published while the page is open");
        List<WebElement> rows = chrome.driver().findElements(By.cssSelector("#run-realtime [data-test=realtime-message]"));
        assertEquals(2, rows.size());
        chrome.screenshot("realtime");
    }
}
