package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.Teardown;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/** The apps page in a real browser (headless Chromium) for an app served by a Connect worker. */
@Timeout(120)
class ConnectWebUiBrowserTest {
    static DevServer dev;
    static HeadlessChromium chrome;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        dev = DevServer.builder().port(0).connectPort(0).inMemory().start();
        chrome = HeadlessChromium.start();
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(chrome, dev);
    }

    @Test
    void theAppsPageListsAConnectAppsWorkersAndSaysWhenNoneIsConnected() throws Exception {
        try (var worker = RawConnectSocket.open(dev).handshake("raw")) {
            chrome.open(dev.url() + "/#/apps");
            WebElement row = chrome.await(By.cssSelector("[data-app-id=raw] [data-test=app-connection]"), "the worker's connection");

            assertEquals("raw-1", row.findElement(By.cssSelector("[data-test=connection-instance]")).getText());
            assertEquals("READY", row.findElement(By.cssSelector("[data-test=connection-status]")).getText());
            assertEquals("0 / 3", row.findElement(By.cssSelector("[data-test=connection-in-flight]")).getText());
            assertTrue(chrome.driver().findElement(By.cssSelector("[data-app-id=raw] [data-test=app-url]")).getText().contains("Connect"));
            assertTrue(chrome.driver().findElements(By.cssSelector("[data-app-id=raw] [data-test=app-resync]")).isEmpty(),
                    "a Connect app has no URL to resync");
        }
        chrome.await(By.cssSelector("[data-app-id=raw] [data-test=app-no-workers]"), "the app without a worker after the socket closed");
    }
}
