package dev.loomstep.spring;

import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/** The starter tests' wait for a state they cannot be told about: polled with a deadline, never a fixed sleep. */
final class Polling {
    private Polling() {}

    /** Returns once {@code condition} holds; fails saying {@code what} did not happen within 60 s. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(what + ": not within 60 s");
            }
            Thread.sleep(20);
        }
    }
}
