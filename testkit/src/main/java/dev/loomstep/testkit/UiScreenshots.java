package dev.loomstep.testkit;

import java.lang.reflect.Method;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For a browser test's {@code @RegisterExtension}: after each test, the page as the test left it, saved
 * by {@link HeadlessChromium#screenshot(String)} as {@code target/ui-screenshots/<test method>.png}, to
 * look at when one fails. Nothing while the test class has no browser (the supplier gives null).
 * <pre>{@code
 * @RegisterExtension
 * static final UiScreenshots screenshots = new UiScreenshots(() -> chrome);
 * }</pre>
 */
public final class UiScreenshots implements AfterEachCallback {
    private final Supplier<HeadlessChromium> chrome;

    public UiScreenshots(Supplier<HeadlessChromium> chrome) {
        this.chrome = chrome;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        HeadlessChromium browser = chrome.get();
        if (browser != null) {
            browser.screenshot(context.getTestMethod().map(Method::getName).orElse("test"));
        }
    }
}
