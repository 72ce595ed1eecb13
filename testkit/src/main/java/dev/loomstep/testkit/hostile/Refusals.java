package dev.loomstep.testkit.hostile;

import java.time.Duration;
import java.util.function.IntSupplier;

/** What every answer to a hostile request must be: a 4xx, quickly, with one clear line and no stack trace. */
public final class Refusals {
    /** Each request of the corpus gets this long to be answered; longer is a hang. */
    public static final Duration DEADLINE = Duration.ofSeconds(10);

    private Refusals() {}

    /** Sends {@code r} to the server on {@code port} and checks its answer is a clean refusal; returns it. */
    public static RawHttp.Answer assertRefused(int port, HostileInput.Request r) {
        RawHttp.Answer a;
        try {
            a = RawHttp.send(port, r.method(), r.targetBytes(), r.headers(), r.body(), DEADLINE);
        } catch (java.io.IOException e) {
            throw new AssertionError("no answer to " + r + ": " + e, e);
        }
        String text = a.text();
        if (a.status() < 400 || a.status() >= 500) {
            throw new AssertionError("expected a 4xx refusal, got " + a.status() + " " + abbreviate(text) + " for " + r);
        }
        String trimmed = text.strip();
        if (trimmed.contains("\n") || trimmed.contains("\r")) {
            throw new AssertionError("the refusal is more than one line (" + a.status() + "): " + abbreviate(text) + " for " + r);
        }
        if (text.contains("\tat ") || text.contains("Exception")) {
            throw new AssertionError("the refusal shows a stack trace or an exception (" + a.status() + "): " + abbreviate(text) + " for " + r);
        }
        if (text.length() > 4_096) {
            throw new AssertionError("the refusal is not one short line (" + text.length() + " chars): " + abbreviate(text) + " for " + r);
        }
        return a;
    }

    /** Fails unless {@code healthy} answers 200: the server still takes a normal request. */
    public static void assertHealthy(IntSupplier healthy, HostileInput.Request after) {
        int status = healthy.getAsInt();
        if (status != 200) {
            throw new AssertionError("a normal request answered " + status + " after " + after);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "…";
    }
}
