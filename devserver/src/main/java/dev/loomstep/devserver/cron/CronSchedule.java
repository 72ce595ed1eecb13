package dev.loomstep.devserver.cron;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A parsed Inngest cron trigger: five fields (minute, hour, day of month, month, day of week) as in
 * Unix cron, optionally preceded by {@code TZ=Area/City } (or {@code CRON_TZ=}); without one the
 * schedule runs in UTC. Names ({@code MON-FRI}, {@code JAN}), lists, ranges and steps work; when both
 * day fields are restricted a day matching either fires, as in Vixie cron. {@code ?} in a day field
 * means {@code *}.
 *
 * <p>Like Inngest (which validates with a five-field parser), six-field expressions with seconds and
 * descriptors such as {@code @daily} are rejected, so a schedule accepted here is accepted in the cloud.
 *
 * <pre>{@code
 * CronSchedule s = CronSchedule.parse("TZ=Europe/Paris 0 9 * * MON-FRI");
 * Instant next = s.nextAfter(Instant.now());
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class CronSchedule {
    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    private final String expression;
    private final ZoneId zone;
    private final ExecutionTime executionTime;

    private CronSchedule(String expression, ZoneId zone, ExecutionTime executionTime) {
        this.expression = expression;
        this.zone = zone;
        this.executionTime = executionTime;
    }

    /**
     * Parses a cron trigger.
     *
     * @throws IllegalArgumentException with a one-line message naming the expression and the problem
     */
    public static CronSchedule parse(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("invalid cron \"" + expression + "\": it is empty");
        }
        String rest = expression.strip();
        ZoneId zone = ZoneOffset.UTC;
        if (rest.startsWith("TZ=") || rest.startsWith("CRON_TZ=")) {
            int space = indexOfWhitespace(rest);
            String zoneName = rest.substring(rest.indexOf('=') + 1, space < 0 ? rest.length() : space);
            try {
                zone = ZoneId.of(zoneName);
            } catch (DateTimeException e) {
                throw new IllegalArgumentException("invalid cron \"" + expression + "\": unknown time zone \"" + zoneName
                        + "\" (use an IANA name such as Europe/Paris)");
            }
            rest = space < 0 ? "" : rest.substring(space).strip();
        }
        if (rest.startsWith("@")) {
            throw new IllegalArgumentException("invalid cron \"" + expression
                    + "\": descriptors such as @daily are not accepted; write the five fields, e.g. 0 0 * * *");
        }
        String[] fields = rest.isEmpty() ? new String[0] : rest.split("\\s+");
        if (fields.length != 5) {
            throw new IllegalArgumentException("invalid cron \"" + expression + "\": expected 5 fields"
                    + " (minute hour day-of-month month day-of-week), found " + fields.length);
        }
        // cron-utils' Unix definition does not know '?', which Inngest's parser accepts in the day fields.
        for (int i = 2; i <= 4; i += 2) {
            if (fields[i].equals("?")) {
                fields[i] = "*";
            }
        }
        String normalized = Arrays.stream(fields).collect(Collectors.joining(" "));
        ExecutionTime executionTime;
        try {
            Cron cron = PARSER.parse(normalized);
            cron.validate();
            executionTime = ExecutionTime.forCron(cron);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid cron \"" + expression + "\": " + describe(e.getMessage()));
        }
        CronSchedule schedule = new CronSchedule(expression.strip(), zone, executionTime);
        if (schedule.next(Instant.parse("2000-01-01T00:00:00Z")).isEmpty()) {
            throw new IllegalArgumentException("invalid cron \"" + expression + "\": it never fires (no such date)");
        }
        return schedule;
    }

    /** The expression as given (trimmed). */
    public String expression() {
        return expression;
    }

    /** The zone the fields are read in: the {@code TZ=} prefix, or UTC. */
    public ZoneId zone() {
        return zone;
    }

    /**
     * The first firing strictly after {@code instant}. Firings fall on whole minutes.
     *
     * @throws IllegalStateException in the unlikely case no firing exists within cron-utils' search
     *     horizon (parse rejects expressions that never fire)
     */
    public Instant nextAfter(Instant instant) {
        return next(instant).orElseThrow(() -> new IllegalStateException("cron \"" + expression + "\" has no firing after " + instant));
    }

    private Optional<Instant> next(Instant instant) {
        return executionTime.nextExecution(ZonedDateTime.ofInstant(instant, zone)).map(ZonedDateTime::toInstant);
    }

    private static int indexOfWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static String describe(String cronUtilsMessage) {
        String message = cronUtilsMessage == null ? "not a cron expression" : cronUtilsMessage.replaceAll("\\s*\\R\\s*", " ");
        return message.replace("Failed to parse cron expression. ", "").strip();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CronSchedule other && other.expression.equals(expression);
    }

    @Override
    public int hashCode() {
        return Objects.hash(expression);
    }

    @Override
    public String toString() {
        return expression;
    }
}
