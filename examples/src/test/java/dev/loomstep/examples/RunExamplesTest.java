package dev.loomstep.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.devserver.DevServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's example command, end to end: devserver, app over HTTP and app over Connect, events, every run completed. */
class RunExamplesTest {
    @Test
    void everyExampleRunCompletesOnTheEmbeddedDevserver() throws Exception {
        var bytes = new ByteArrayOutputStream();
        var out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int exit = RunExamples.run(out, out, false, 50, Duration.ofSeconds(90));
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, printed);
        assertTrue(printed.contains("■ account-created    Completed → {\"welcomed\":true,\"followUp\":\"congratulated\"}"), printed);
        assertTrue(printed.contains("■ album-thumbnails   Completed → " + expectedThumbnailBytes(50)), printed);
        assertTrue(printed.contains("■ onboarding         Completed → \"gold\""), printed);
        assertTrue(printed.contains("■ expense-approval   Completed → \"reimbursed by Linus\""), printed);
        // Served over Connect: the worker's run, its steps printed as they complete like any other.
        assertTrue(printed.contains("app loomstep-examples-warehouse served over Connect by worker warehouse-1 (ACTIVE)"), printed);
        assertTrue(printed.contains("■ restock            Completed → \"57 units ordered for north\""), printed);
        assertTrue(printed.contains("restock            ✓ order-washers"), printed);
        assertTrue(printed.contains("account-created    ✓ initial-delay"), printed);
        assertTrue(printed.contains("All runs completed."), printed);
        // The emails print to the same stream as the progress, each as a whole line of its own.
        List<String> lines = printed.lines().toList();
        assertTrue(lines.contains("  ✉  to ada@example.com: Welcome to Loomstep, Ada"), printed);
        assertTrue(lines.contains("  ✉  to ada@example.com: Your first function: nightly-report"), printed);
        assertTrue(lines.contains("  ✉  to manager@example.com: Approve 129.0 for Grace?"), printed);
        for (String line : lines) {
            assertTrue(line.indexOf('✉') <= 2, "an email broke into a line: " + line + "\n" + printed);
        }
    }

    @Test
    @Timeout(30)
    void keepRunningOnATakenPortSaysSoInOneLineAndFails() throws Exception {
        try (var taken = occupy(DevServer.DEFAULT_PORT)) {
            var out = new ByteArrayOutputStream();
            var err = new ByteArrayOutputStream();
            int exit = RunExamples.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8), true, 5, Duration.ofSeconds(10));
            assertEquals(1, exit, out.toString(StandardCharsets.UTF_8));
            assertEquals("port 8288 is in use; stop the other devserver or run without --keep-running (it then picks a free port)"
                    + System.lineSeparator(), err.toString(StandardCharsets.UTF_8));
            assertEquals("", out.toString(StandardCharsets.UTF_8));
        }
    }

    /** Listens on the port on 127.0.0.1; null when something else already does (it is taken either way). */
    static ServerSocket occupy(int port) throws IOException {
        var socket = new ServerSocket();
        try {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return socket;
        } catch (BindException alreadyTaken) {
            socket.close();
            return null;
        }
    }

    static int expectedThumbnailBytes(int images) {
        int sum = 0;
        for (int i = 0; i < images; i++) {
            sum += 1_000 + (i * 37) % 500;
        }
        return sum;
    }
}
