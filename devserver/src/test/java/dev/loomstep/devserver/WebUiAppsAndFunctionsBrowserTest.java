package dev.loomstep.devserver;

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
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The functions and apps pages' second pass (issue 23), in a real headless Chromium: Invoke with
 * {@code user} as well as {@code data}, a function's failure handler in its config, and apps added by
 * URL, moved to another URL (the devserver then calls them there) and deleted.
 */
@Timeout(180)
class WebUiAppsAndFunctionsBrowserTest {
    static DevServer dev;
    static Api api;
    static LoomstepServer first;
    static LoomstepServer second;
    static HeadlessChromium chrome;

    static Loomstep app() {
        var whoAmI = Function.builder("who-am-i").trigger(Trigger.event("af/who")).retries(0)
                .onFailure((failure, step) -> "handled")
                .handler((in, step) -> in.event().user() == null ? "nobody" : in.event().user().path("id").asText());
        return Loomstep.builder("af").dev(dev.url()).functions(whoAmI).build();
    }

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.01).start();
        api = new Api(dev);
        first = LoomstepServer.builder(app()).host("127.0.0.1").port(0).start();
        second = LoomstepServer.builder(app()).host("127.0.0.1").port(0).start();
        chrome = HeadlessChromium.start();
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(chrome, first, second, dev);
    }

    /** The page as each test left it, to look at when one fails: target/ui-screenshots/<test>.png. */
    @RegisterExtension
    static final UiScreenshots screenshots = new UiScreenshots(() -> chrome);

    static JsonNode appNamed(String id) {
        for (JsonNode a : api.get("/v1/apps").get("data")) {
            if (a.get("id").asText().equals(id)) {
                return a;
            }
        }
        return null;
    }

    @Test
    void anAppIsAddedByUrlMovedToAnotherUrlInvokedWithAUserAndDeleted() {
        Api.Response bad = api.request("POST", "/v1/apps", "{\"url\": \"not a url\"}");
        assertEquals(400, bad.status(), bad.text());
        assertTrue(bad.json().get("error").asText().startsWith("add app: \"url\" must be the app's serve URL"), bad.text());

        chrome.open(dev.url() + "/#/apps");
        chrome.await(By.id("add-app-url"), "the URL box").sendKeys(first.url());
        chrome.await(By.id("add-app"), "Add app").click();
        assertTrue(chrome.awaitText(By.cssSelector("[data-test=app-action-done]"), t -> !t.isBlank(), "the app added").startsWith("Synced app af from "));
        chrome.await(By.cssSelector("[data-test=app][data-app-id=af]"), "the app's card");
        assertEquals(first.url(), appNamed("af").get("url").asText());

        // The function's page: its failure handler, and Invoke with a user.
        chrome.open(dev.url() + "/#/functions/af-who-am-i");
        WebElement handler = chrome.await(By.cssSelector("[data-test=function-failure-handler] [data-test=failure-handler-link]"), "the failure handler");
        assertTrue(handler.getAttribute("href").endsWith("#/functions/af-who-am-i-failure"), handler.getAttribute("href"));
        chrome.await(By.id("invoke-user"), "the user box").sendKeys("{\"id\": \"u-7\"}");
        chrome.await(By.id("invoke-function"), "Invoke").click();
        String run = chrome.await(By.id("invoked-run"), "the invoked run").getAttribute("data-run-id");
        assertEquals("u-7", api.awaitStatus(run, "Completed").get("output").asText(), "the run got the user");

        // Move the app to the second server, stop the first: the devserver calls it at the new URL.
        chrome.open(dev.url() + "/#/apps");
        chrome.await(By.cssSelector("[data-app-id=af] [data-test=app-change-url]"), "Change URL").click();
        WebElement url = chrome.await(By.id("app-new-url"), "the URL box");
        url.clear();
        url.sendKeys(second.url());
        chrome.await(By.id("app-url-save"), "Save").click();
        chrome.awaitText(By.cssSelector("[data-test=app-action-done]"), t -> t.contains(second.url()), "the app moved");
        first.close();
        first = null;
        assertEquals(second.url(), appNamed("af").get("url").asText());
        String moved = api.runOf(api.send("af/who", Map.of()));
        assertEquals("nobody", api.awaitStatus(moved, "Completed").get("output").asText(), "the run was called at the new URL");

        chrome.await(By.cssSelector("[data-app-id=af] [data-test=app-delete]"), "Delete").click();
        chrome.await(By.id("app-delete-confirm"), "Yes, delete it").click();
        chrome.awaitText(By.cssSelector("[data-test=app-action-done]"), "App af deleted."::equals, "the app deleted");
        chrome.waiting().withMessage("its card gone").until(d -> d.findElements(By.cssSelector("[data-test=app][data-app-id=af]")).isEmpty());
        assertEquals(null, appNamed("af"));
        assertEquals(0, api.get("/v1/functions").get("data").size(), "its functions went with it");
        assertEquals(404, api.request("DELETE", "/v1/apps/af", null).status(), "a second delete finds nothing");
        assertEquals("Completed", api.run(moved).get("status").asText(), "its runs stay");
    }
}
