package dev.loomstep.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The README's example command, end to end: devserver, app over HTTP, sync, events, every run completed. */
class RunExamplesTest {
    @Test
    void everyExampleRunCompletesOnTheEmbeddedDevserver() throws Exception {
        var bytes = new ByteArrayOutputStream();
        var out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int exit = RunExamples.run(out, false, 50, Duration.ofSeconds(90));
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, printed);
        assertTrue(printed.contains("■ account-created    Completed → {\"welcomed\":true,\"followUp\":\"congratulated\"}"), printed);
        assertTrue(printed.contains("■ album-thumbnails   Completed → " + expectedThumbnailBytes(50)), printed);
        assertTrue(printed.contains("■ onboarding         Completed → \"gold\""), printed);
        assertTrue(printed.contains("■ expense-approval   Completed → \"reimbursed by Linus\""), printed);
        assertTrue(printed.contains("account-created    ✓ initial-delay"), printed);
        assertTrue(printed.contains("All runs completed."), printed);
    }

    static int expectedThumbnailBytes(int images) {
        int sum = 0;
        for (int i = 0; i < images; i++) {
            sum += 1_000 + (i * 37) % 500;
        }
        return sum;
    }
}
