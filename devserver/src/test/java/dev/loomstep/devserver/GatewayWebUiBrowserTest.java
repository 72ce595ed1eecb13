package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Function;
import dev.loomstep.Trigger;
import dev.loomstep.ai.AiModel;
import dev.loomstep.fetch.FetchRequest;
import dev.loomstep.testkit.FakeModelProviders;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.Teardown;
import dev.loomstep.testkit.UiScreenshots;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The run page in a real browser (headless Chromium, as {@code WebUiBrowserTest}) for a run with a
 * fetch, a model call and a wrapped call: each step says what it asked and got, the model call its tokens.
 */
@Timeout(120)
class GatewayWebUiBrowserTest {
    static DevServer dev;
    static LoomstepDevServer fixture;
    static FakeModelProviders fakes;
    static Api api;
    static HeadlessChromium chrome;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        fakes = FakeModelProviders.start();
        var assistant = Function.builder("assistant").trigger(Trigger.event("shop/question")).handler((in, step) -> {
            int status = step.fetch(FetchRequest.get(fakes.echo("/catalog"))).statusCode();
            JsonNode reply = step.ai().infer("answer", AiModel.openai("gpt-4o-mini").apiKey(FakeModelProviders.KEY).baseUrl(fakes.openaiBase()),
                    Map.of("messages", List.of(Map.of("role", "user", "content", in.data().path("q").asText()))));
            String text = reply.at("/choices/0/message/content").asText();
            return status + " " + step.ai().wrap("polish", String.class, (String t) -> t.toUpperCase(), text);
        });
        fixture = LoomstepDevServer.builder("shop").start(assistant);
        dev = fixture.dev;
        api = fixture.api;
        chrome = HeadlessChromium.start();
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(chrome, fixture, fakes);
    }

    @RegisterExtension
    static final UiScreenshots screenshots = new UiScreenshots(() -> chrome);

    @Test
    void theRunPageShowsTheFetchTheModelCallsTokensAndTheWrappedInput() {
        String runId = api.runOf(api.send("shop/question", Map.of("q", "in stock?")));
        JsonNode run = api.awaitStatus(runId, "Completed");
        assertEquals("200 ECHO: IN STOCK?", run.get("output").asText(), run.toString());

        chrome.open(dev.url() + "/#/runs/" + runId);
        chrome.await(By.cssSelector("#timeline [data-test=step-row]"), "the step timeline");
        List<WebElement> steps = chrome.driver().findElements(By.cssSelector("#timeline [data-test=step-row]"));
        assertEquals(List.of("step.fetch: 127.0.0.1", "answer", "polish"), steps.stream().map(s -> s.getAttribute("data-step-name")).toList());

        assertEquals("Gateway", text(steps.get(0), "step-op"));
        assertEquals("GET " + fakes.echo("/catalog"), text(steps.get(0), "fetch-request"));
        assertEquals("200", text(steps.get(0), "fetch-status"));

        assertEquals("AIGateway", text(steps.get(1), "step-op"));
        assertEquals("openai-chat gpt-4o-mini", text(steps.get(1), "ai-model"));
        assertEquals("7 in, 3 out, 10 total", text(steps.get(1), "ai-tokens"));
        assertFalse(chrome.driver().getPageSource().contains(FakeModelProviders.KEY), "the API key is not on the page");

        assertTrue(text(steps.get(2), "ai-input").contains("echo: in stock?"), text(steps.get(2), "ai-input"));
    }

    static String text(WebElement row, String field) {
        return row.findElement(By.cssSelector("[data-test=" + field + "]")).getText();
    }
}
