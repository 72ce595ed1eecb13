package dev.loomstep.examples;

import java.io.PrintStream;

/** Sends email. Injected into the example functions so tests can record what was sent. */
@FunctionalInterface
public interface EmailSender {
    /** Sends one email; returns true when the provider accepted it. */
    boolean send(String to, String subject, String body);

    /** Prints emails to standard output instead of sending them. */
    static EmailSender console() {
        return console(System.out);
    }

    /**
     * Prints emails to {@code out} instead of sending them. Each email is one whole line written by a
     * single {@code print}, which {@link PrintStream} does under its lock, as it does each {@code printf}:
     * give it the stream the runner's progress goes to, and the two never break into each other's lines.
     */
    static EmailSender console(PrintStream out) {
        return (to, subject, body) -> {
            String line = "  ✉  to " + to + ": " + subject + System.lineSeparator();
            out.print(line);
            out.flush();
            return true;
        };
    }
}
