package dev.loomstep;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/** Fails this attempt and asks the executor to retry no sooner than the given delay or instant. */
public class RetryAfterException extends RuntimeException {
    private static final java.time.format.DateTimeFormatter ISO_MILLIS =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(java.time.ZoneOffset.UTC);
    private final Duration delay;
    private final Instant at;

    public RetryAfterException(String message, Duration delay) {
        this(message, Objects.requireNonNull(delay, "delay"), null, null);
    }

    public RetryAfterException(String message, Instant at) {
        this(message, null, Objects.requireNonNull(at, "at"), null);
    }

    public RetryAfterException(String message, Duration delay, Throwable cause) {
        this(message, Objects.requireNonNull(delay, "delay"), null, cause);
    }

    private RetryAfterException(String message, Duration delay, Instant at, Throwable cause) {
        super(message, cause);
        this.delay = delay;
        this.at = at;
    }

    /** The {@code Retry-After} header value: whole seconds, or an RFC 3339 instant. */
    public String retryAfterHeader() {
        if (at != null) {
            return ISO_MILLIS.format(at);
        }
        return Long.toString(Math.max(0, (delay.toMillis() + 999) / 1000));
    }
}
