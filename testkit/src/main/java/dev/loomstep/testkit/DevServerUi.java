package dev.loomstep.testkit;

import org.openqa.selenium.By;

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
}
