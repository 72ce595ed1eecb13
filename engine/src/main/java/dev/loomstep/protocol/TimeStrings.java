package dev.loomstep.protocol;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Converts between {@link Duration} and Inngest time strings ({@code "1s"}, {@code "2h45m"},
 * {@code "1d"}, {@code "500ms"}). The only place in Loomstep where time strings are produced or read.
 */
public final class TimeStrings {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h|d|w)");

    private TimeStrings() {}

    /**
     * Formats a duration the way the official SDKs do: the largest units first, no zero parts,
     * sub-second remainders in ms (then us, ns). {@code Duration.ZERO} is {@code "0s"}.
     */
    public static String format(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("a duration must not be negative, got " + duration);
        }
        if (duration.isZero()) {
            return "0s";
        }
        var sb = new StringBuilder();
        long seconds = duration.getSeconds();
        long nanos = duration.getNano();
        long weeks = seconds / 604_800;
        seconds %= 604_800;
        long days = seconds / 86_400;
        seconds %= 86_400;
        long hours = seconds / 3_600;
        seconds %= 3_600;
        long minutes = seconds / 60;
        seconds %= 60;
        append(sb, weeks, "w");
        append(sb, days, "d");
        append(sb, hours, "h");
        append(sb, minutes, "m");
        append(sb, seconds, "s");
        append(sb, nanos / 1_000_000, "ms");
        append(sb, (nanos / 1_000) % 1_000, "us");
        append(sb, nanos % 1_000, "ns");
        return sb.toString();
    }

    /**
     * Formats the length of a durable wait (a sleep, a waitForEvent, invoke or cancelOn timeout) as the
     * executor acts on it, which is the JS SDK's rule: durable waits have a one-second resolution, so a
     * positive wait under one second becomes {@code "1s"} and a longer one drops its sub-second
     * remainder ({@code 1.5 s} is {@code "1s"}, {@code 61.9 s} is {@code "1m1s"}). Zero stays {@code "0s"}.
     */
    public static String durableWait(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("a duration must not be negative, got " + duration);
        }
        return format(wholeSecondsOf(duration));
    }

    /** The duration {@link #durableWait} puts on the wire: at least one second unless zero, whole seconds. */
    public static Duration wholeSecondsOf(Duration duration) {
        if (!duration.isZero() && duration.getSeconds() == 0) {
            return Duration.ofSeconds(1);
        }
        return Duration.ofSeconds(duration.getSeconds());
    }

    private static void append(StringBuilder sb, long value, String unit) {
        if (value != 0) {
            sb.append(value).append(unit);
        }
    }

    /**
     * Parses a time string made of one or more number-unit parts ({@code "1h30m"}, {@code "1.5s"}).
     *
     * @throws IllegalArgumentException naming the input when it is not a time string
     */
    public static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("expected a time string such as \"30s\" or \"2h45m\", got " + (text == null ? "null" : "\"\""));
        }
        String s = text.trim();
        Matcher m = PART.matcher(s);
        int at = 0;
        long totalNanos = 0;
        Duration total = Duration.ZERO;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("expected a time string such as \"30s\" or \"2h45m\", got \"" + text + "\"");
            }
            double amount = Double.parseDouble(m.group(1));
            long unitNanos = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                case "d" -> 86_400_000_000_000L;
                case "w" -> 604_800_000_000_000L;
                default -> throw new AssertionError(m.group(2));
            };
            if (m.group(1).indexOf('.') >= 0) {
                totalNanos += Math.round(amount * unitNanos);
            } else {
                total = total.plus(Duration.ofNanos(unitNanos).multipliedBy(Long.parseLong(m.group(1))));
            }
            at = m.end();
        }
        return total.plusNanos(totalNanos);
    }
}
