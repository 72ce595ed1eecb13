package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.Event;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.testkit.HeadlessChromium;
import dev.loomstep.testkit.JsPeer;
import dev.loomstep.testkit.Teardown;
import dev.loomstep.tracing.ExecutorSpanProcessor;
import dev.loomstep.tracing.TracingMiddleware;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The SDK's spans in a run's waterfall, in a real headless Chromium: a Loomstep app with tracing runs on
 * the devserver over HTTP, its spans go to {@code /v1/traces/userland}, and the run's page draws them
 * under the steps as a tree (call, step, the function's own spans) in the sender's trace.
 *
 * <p>With {@code -Dloomstep.ui.updateScreenshots=true} it copies the page to {@code docs/trace.png}.
 */
@Timeout(120)
class TracingBrowserTest {
    static LoomstepDevServer fx;
    static SdkTracerProvider provider;
    static OpenTelemetry otel;
    static HeadlessChromium chrome;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.requireBrowser();
        var app = new AtomicReference<Loomstep>();
        provider = SdkTracerProvider.builder().addSpanProcessor(ExecutorSpanProcessor.of(() -> app.get().config())).build();
        otel = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
        Tracer shop = otel.getTracer("shop");
        var checkout = Function.builder("checkout").name("Checkout").trigger(Trigger.event("shop/checkout")).handler((in, step) -> {
            int stock = step.run("reserve-stock", Integer.class, () -> work(shop, "SELECT stock FROM items", 40, 3));
            int price = step.run("price", Integer.class, () -> work(shop, "GET /prices/s-1", 25, 21));
            return step.run("charge", Integer.class, () -> work(shop, "POST /payments", 60, price * stock));
        });
        fx = LoomstepDevServer.builder("shop").app(b -> b.middleware(TracingMiddleware.of(otel))).start(checkout);
        app.set(fx.app);
        chrome = HeadlessChromium.start();
    }

    /** A span of the function's own code that takes {@code millis}. */
    static int work(Tracer tracer, String what, long millis, int result) throws InterruptedException {
        Span s = tracer.spanBuilder(what).setAttribute("shop.item", "s-1").startSpan();
        try (Scope ignored = s.makeCurrent()) {
            Thread.sleep(millis);
            return result;
        } finally {
            s.end();
        }
    }

    @AfterAll
    static void stop() {
        Teardown.closeAll(chrome, provider, fx);
    }

    @Test
    void theRunsPageDrawsTheSdkSpansInItsWaterfall() throws Exception {
        Span request = otel.getTracer("web").spanBuilder("POST /checkout").startSpan();
        String eventId;
        try (Scope ignored = request.makeCurrent()) {
            eventId = fx.app.send(Event.of("shop/checkout", Map.of("sku", "s-1"))).get(0);
        } finally {
            request.end();
        }
        String runId = fx.api.runOf(eventId);
        fx.api.awaitEnd(runId, "Completed", Duration.ofSeconds(30), "the checkout run");
        List<String> expected = List.of("inngest.execution", "reserve-stock", "price", "charge", "SELECT stock FROM items",
                "GET /prices/s-1", "POST /payments");
        var spans = Api.await(() -> fx.api.get("/v1/runs/" + runId + "/spans").get("data"),
                a -> expected.stream().allMatch(n -> a.findValuesAsText("name").contains(n)), "the run's calls, steps and code spans");
        long callSpans = spans.findValuesAsText("name").stream().filter("inngest.execution"::equals).count();

        chrome.open(fx.dev.url() + "/#/runs/" + runId);
        chrome.await(By.cssSelector("[data-test=sdk-span][data-span-name='POST /payments']"), "the span of the charge step's code");
        String trace = chrome.awaitText(By.cssSelector("[data-test=sdk-trace-id]"), t -> !t.isBlank(), "the trace id");
        assertEquals(request.getSpanContext().getTraceId(), trace, "the run is drawn in the sender's trace");

        List<WebElement> rows = chrome.driver().findElements(By.cssSelector("[data-test=sdk-span]"));
        WebElement charge = rows.stream().filter(r -> "charge".equals(r.getAttribute("data-span-name"))).findFirst().orElseThrow();
        WebElement payments = rows.stream().filter(r -> "POST /payments".equals(r.getAttribute("data-span-name"))).findFirst().orElseThrow();
        assertEquals(charge.getAttribute("data-span-id"), payments.getAttribute("data-parent-span-id"), "the code's span is under its step");
        assertEquals(Integer.parseInt(charge.getAttribute("data-depth")) + 1, Integer.parseInt(payments.getAttribute("data-depth")));
        assertTrue(rows.indexOf(charge) < rows.indexOf(payments), "a child is drawn below its parent");
        long calls = rows.stream().filter(r -> "inngest.execution".equals(r.getAttribute("data-span-name"))).count();
        assertEquals(callSpans, calls, "every call span of the run is drawn");
        assertEquals(spans.size(), rows.size(), "every span is drawn");
        assertTrue(charge.getText().contains("charge"));

        chrome.driver().manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1300));
        ((org.openqa.selenium.JavascriptExecutor) chrome.driver()).executeScript(
                "document.getElementById('timeline').scrollIntoView({block: 'start'}); window.scrollBy(0, -60);");
        chrome.await(By.id("sdk-spans"), "the SDK spans after scrolling");
        chrome.screenshot("trace");
        if (Boolean.getBoolean("loomstep.ui.updateScreenshots")) {
            Path docs = Files.createDirectories(JsPeer.repoRoot().resolve("docs"));
            Files.copy(Path.of("target", "ui-screenshots", "trace.png"), docs.resolve("trace.png"), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
