package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.Teardown;
import dev.loomstep.undertow.LoomstepServer;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;

/**
 * The Apps page in headless Chromium shows an app that will refuse every call as such, from its sync on
 * and before any run: a cloud-mode app with no signing key reads "calls refused" with the reason and
 * what to set, not "synced" (issue 20: such an app was shown green while every call failed).
 */
@Timeout(120)
class WebUiAppHealthBrowserTest {
    DevServer dev;
    LoomstepServer server;
    HeadlessChromium chrome;

    @AfterEach
    void stop() {
        Teardown.closeAll(chrome, server, dev);
    }

    @Test
    void aKeylessCloudModeAppReadsCallsRefusedWithWhatToSetAsSoonAsItSyncs() throws Exception {
        HeadlessChromium.requireBrowser();
        dev = DevServer.builder().port(0).inMemory().start();
        var fn = Function.builder("work").trigger(Trigger.event("shop/go")).handler((in, step) -> 1);
        // Cloud mode (no INNGEST_DEV) and no signing key: it syncs with a dev-mode devserver, then would refuse every call.
        var keyless = Loomstep.builder("shop").config(Config.from(Map.of("INNGEST_BASE_URL", dev.url()))).functions(fn).build();
        server = LoomstepServer.builder(keyless).host("127.0.0.1").port(0).start();
        server.sync();
        chrome = HeadlessChromium.start();

        chrome.open(dev.url() + "/#/apps");

        String status = chrome.awaitText(By.cssSelector("[data-test=app-sync-status]"), "calls refused"::equals,
                "the app shown as refusing calls");
        assertEquals("calls refused", status);
        String reason = chrome.awaitText(By.cssSelector("[data-test=app-call-error]"), t -> !t.isBlank(), "the reason");
        assertTrue(reason.contains("has no signing key") && reason.contains("INNGEST_SIGNING_KEY") && reason.contains("INNGEST_DEV=1"), reason);
        assertEquals(0, new Api(dev).get("/v1/runs").get("data").size(), "no run was needed to show it");
    }
}
