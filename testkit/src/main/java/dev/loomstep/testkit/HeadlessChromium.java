package dev.loomstep.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium for browser tests: Debian's {@code chromium}, driven through its
 * {@code chromedriver} (Selenium Manager is never asked to fetch anything), with a throwaway profile.
 *
 * <p>{@link #start()} fails the test naming what to install when either binary is missing, and skips it
 * instead with {@code -Dloomstep.browser=skip}. {@code -Dloomstep.chromium} and
 * {@code -Dloomstep.chromedriver} point at other binaries. The wait helpers re-find their element on
 * every try, since live pages redraw.
 */
public final class HeadlessChromium implements AutoCloseable {
    public static final String CHROMIUM = System.getProperty("loomstep.chromium", "/usr/bin/chromium");
    public static final String CHROMEDRIVER = System.getProperty("loomstep.chromedriver", "/usr/bin/chromedriver");
    /** How long the wait helpers wait. */
    public static final Duration WAIT = Duration.ofSeconds(20);
    /** Held so it stays configured: Selenium warns that it has no CDP classes for this Chromium; the tests need none. */
    private static final Logger SELENIUM_LOG = Logger.getLogger("org.openqa.selenium");

    private final WebDriver driver;
    private final Path profile;

    private HeadlessChromium(WebDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    /**
     * Skips the calling test (a JUnit assumption) under {@code -Dloomstep.browser=skip}, fails it when
     * Chromium or chromedriver is missing. Call it before starting anything else the test needs.
     */
    public static void requireBrowser() {
        Assumptions.assumeFalse("skip".equals(System.getProperty("loomstep.browser")),
                "browser tests skipped by -Dloomstep.browser=skip");
        for (String exe : List.of(CHROMIUM, CHROMEDRIVER)) {
            if (!new File(exe).canExecute()) {
                Assertions.fail(exe + " is missing: the web UI test needs Chromium and its driver (apt-get install chromium"
                        + " chromium-driver), or run with -Dloomstep.browser=skip");
            }
        }
    }

    /** Checks the browser is there ({@link #requireBrowser()}), then launches it headless. */
    public static HeadlessChromium start() throws IOException {
        requireBrowser();
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
        SELENIUM_LOG.setLevel(Level.SEVERE);
        Path profile = Files.createTempDirectory("loomstep-ui-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1280,900", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort()
                .build();
        try {
            return new HeadlessChromium(new ChromeDriver(service, options), profile);
        } catch (RuntimeException e) {
            deleteTree(profile);
            throw e;
        }
    }

    /** The Selenium driver. */
    public WebDriver driver() {
        return driver;
    }

    /** Loads the address. */
    public void open(String url) {
        driver.get(url);
    }

    /** A wait that polls every 50 ms for up to {@link #WAIT}. */
    public WebDriverWait waiting() {
        return new WebDriverWait(driver, WAIT, Duration.ofMillis(50));
    }

    /** Waits for the first element {@code by} finds to be displayed (re-found on every try); returns it. */
    public WebElement await(By by, String what) {
        return waiting().withMessage("waiting for " + what).until(d -> {
            try {
                List<WebElement> found = d.findElements(by);
                return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
            } catch (StaleElementReferenceException e) {
                return null; // redrawn between find and read: try again
            }
        });
    }

    /** Waits until the text of the first element {@code by} finds satisfies the check; returns the text. */
    public String awaitText(By by, Predicate<String> check, String what) {
        return waiting().withMessage("waiting for " + what).until(d -> {
            try {
                List<WebElement> found = d.findElements(by);
                String text = found.isEmpty() ? null : found.get(0).getText();
                return text != null && check.test(text) ? text : null;
            } catch (StaleElementReferenceException e) {
                return null; // redrawn between find and read: try again
            }
        });
    }

    /** Saves the page as it is now to {@code target/ui-screenshots/<name>.png}, to look at when a test failed; never throws. */
    public void screenshot(String name) {
        if (driver instanceof TakesScreenshot shot) {
            try {
                Path dir = Files.createDirectories(Path.of("target", "ui-screenshots"));
                Files.write(dir.resolve(name + ".png"), shot.getScreenshotAs(OutputType.BYTES));
            } catch (Exception e) {
                System.err.println("could not take a screenshot: " + e);
            }
        }
    }

    /** Quits the browser and deletes its profile. */
    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the Chromium profile " + dir, e);
        }
    }
}
