package dev.loomstep.testkit;

import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/** Where things are on the devserver's web UI page, for the browser tests that drive it. */
public final class DevServerUi {
    private DevServerUi() {}

    /** A run's row in the runs list. */
    public static By runRow(String runId) {
        return By.cssSelector("[data-test=run-row][data-run-id='" + runId + "']");
    }

    /** One field (its {@code data-test} name, e.g. {@code run-status}) of a run's row in the runs list. */
    public static By inRunRow(String runId, String field) {
        return By.cssSelector("[data-test=run-row][data-run-id='" + runId + "'] [data-test=" + field + "]");
    }

    /**
     * Fills the send-event form (the page must be open at {@code #/send}), sends it, and returns the
     * element showing the sent event's id once it appears.
     */
    public static WebElement sendFromForm(HeadlessChromium chrome, String name, String json) {
        chrome.await(By.id("event-name"), "the send form").sendKeys(name);
        WebElement data = chrome.driver().findElement(By.id("event-data"));
        data.clear();
        data.sendKeys(json);
        chrome.driver().findElement(By.id("send-event")).click();
        return chrome.await(By.id("sent-event-id"), "the sent event's id");
    }
}
