package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.Teardown;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * Run and step metadata on the run's page, in a real headless Chromium: a Loomstep app sets both with
 * {@code app.metadata(runId)} while it runs on the devserver, and the page shows the run's in a Metadata
 * card and the step's in that step's detail, key by key.
 */
@Timeout(120)
class MetadataBrowserTest {
    static LoomstepDevServer fx;
    static HeadlessChromium chrome;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        var app = new AtomicReference<Loomstep>();
        var order = Function.builder("order").trigger(Trigger.event("shop/order")).handler((in, step) -> {
            int cents = step.run("charge", Integer.class, () -> {
                app.get().metadata(in.runId()).step("charge").set(Map.of("gateway", "stripe"), "payments");
                return 1250;
            });
            app.get().metadata(in.runId()).set(Map.of("customer", "ada", "cents", cents));
            return cents;
        });
        fx = LoomstepDevServer.builder("shop").start(order);
        app.set(fx.app);
        chrome = HeadlessChromium.start();
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(chrome, fx);
    }

    @Test
    void theRunsPageShowsRunMetadataInACardAndStepMetadataInTheStep() {
        String runId = fx.api.runOf(fx.api.send("shop/order", Map.of()));
        fx.api.awaitEnd(runId, "Completed", Duration.ofSeconds(30), "the order run");

        chrome.open(fx.dev.url() + "/#/runs/" + runId);
        WebElement card = chrome.await(By.cssSelector("#run-metadata [data-test=run-metadata-kind]"), "the run's metadata card");
        assertEquals("userland.default", card.getAttribute("data-kind"));
        assertEquals("ada", card.findElement(By.cssSelector("[data-key=customer] [data-test=metadata-value]")).getText());
        assertEquals("1250", card.findElement(By.cssSelector("[data-key=cents] [data-test=metadata-value]")).getText());

        WebElement step = chrome.await(By.cssSelector("[data-test=step-row][data-step-name=charge] [data-test=step-metadata-kind]"),
                "the charge step's metadata");
        assertEquals("userland.payments", step.getAttribute("data-kind"));
        assertEquals("stripe", step.findElement(By.cssSelector("[data-key=gateway] [data-test=metadata-value]")).getText());
        assertTrue(chrome.driver().findElements(By.cssSelector("#run-metadata [data-kind='userland.payments']")).isEmpty(),
                "a step's metadata is not the run's");
        chrome.screenshot("metadata");
    }
}
