package dev.loomstep.examples;

/** Sends email. Injected into the example functions so tests can record what was sent. */
@FunctionalInterface
public interface EmailSender {
    /** Sends one email; returns true when the provider accepted it. */
    boolean send(String to, String subject, String body);

    /** Prints emails to standard output instead of sending them. */
    static EmailSender console() {
        return (to, subject, body) -> {
            System.out.printf("  ✉  to %s: %s%n", to, subject);
            return true;
        };
    }
}
