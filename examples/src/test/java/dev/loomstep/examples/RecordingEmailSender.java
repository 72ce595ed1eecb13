package dev.loomstep.examples;

import java.util.ArrayList;
import java.util.List;

/** An {@link EmailSender} that keeps what it was asked to send, in order; safe across threads. */
final class RecordingEmailSender implements EmailSender {
    record Email(String to, String subject, String body) {}

    private final List<Email> sent = new ArrayList<>();

    @Override
    public synchronized boolean send(String to, String subject, String body) {
        sent.add(new Email(to, subject, body));
        return true;
    }

    /** Forgets what was sent (between tests that share one sender). */
    synchronized void clear() {
        sent.clear();
    }

    synchronized List<Email> sent() {
        return List.copyOf(sent);
    }

    /** The emails sent to {@code to}, as "to: subject" strings, in order. */
    synchronized List<String> to(String to) {
        return sent.stream().filter(e -> e.to().equals(to)).map(e -> e.to() + ": " + e.subject()).toList();
    }
}
