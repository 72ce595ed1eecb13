package dev.loomstep.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.AbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * What a piece of code logged, for tests that assert on log lines. Two ways in, one result type:
 * {@link #attach(String)} listens to a named logger of the logback backend (the engine's tests bind
 * logback), {@link #recorder(String)} is a plain SLF4J {@link Logger} for classes that take their
 * logger, whatever backend the module's tests bind. Close it to detach.
 */
public final class LogCapture implements AutoCloseable {
    /**
     * One logged line.
     *
     * @param level   {@code ERROR}, {@code WARN}, {@code INFO}, {@code DEBUG} or {@code TRACE}
     * @param message the formatted message
     * @param mdc     the MDC when it was logged
     * @param thrown  the exception logged with it, or null
     */
    public record Line(String level, String message, Map<String, String> mdc, Throwable thrown) {
        @Override
        public String toString() {
            return level + " " + message + " " + mdc + (thrown == null ? "" : " !" + thrown);
        }
    }

    private final List<Line> lines = new ArrayList<>();
    private final Runnable detach;
    private final Logger recorder;

    private LogCapture(String name, boolean logback) {
        if (logback) {
            this.detach = LogbackTap.attach(name, this::add);
            this.recorder = null;
        } else {
            this.detach = () -> {};
            this.recorder = new Recorder(name);
        }
    }

    /**
     * Captures every line of logger {@code name} and its children, at every level, through logback;
     * while attached, they do not reach the test's console.
     */
    public static LogCapture attach(String name) {
        return new LogCapture(name, true);
    }

    /** A capture whose {@link #logger()} records what it is given, at every level. */
    public static LogCapture recorder(String name) {
        return new LogCapture(name, false);
    }

    /** The recording logger of {@link #recorder(String)}. */
    public Logger logger() {
        if (recorder == null) {
            throw new IllegalStateException("attach(..) captures an existing logger; use recorder(..) for a logger to pass in");
        }
        return recorder;
    }

    /** Every line so far, in order. */
    public synchronized List<Line> lines() {
        return List.copyOf(lines);
    }

    /** The lines at {@code level} so far. */
    public List<Line> at(String level) {
        return lines().stream().filter(l -> l.level().equals(level)).toList();
    }

    /** The lines so far that match. */
    public List<Line> matching(Predicate<Line> test) {
        return lines().stream().filter(test).toList();
    }

    private synchronized void add(Line line) {
        lines.add(line);
    }

    @Override
    public void close() {
        detach.run();
    }

    private static Map<String, String> mdc() {
        Map<String, String> m = MDC.getCopyOfContextMap();
        return m == null ? Map.of() : Map.copyOf(m);
    }

    private final class Recorder extends AbstractLogger {
        Recorder(String name) {
            this.name = name;
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args, Throwable thrown) {
            add(new Line(level.name(), MessageFormatter.basicArrayFormat(pattern, args), mdc(), thrown));
        }

        @Override public boolean isTraceEnabled() { return true; }
        @Override public boolean isTraceEnabled(Marker marker) { return true; }
        @Override public boolean isDebugEnabled() { return true; }
        @Override public boolean isDebugEnabled(Marker marker) { return true; }
        @Override public boolean isInfoEnabled() { return true; }
        @Override public boolean isInfoEnabled(Marker marker) { return true; }
        @Override public boolean isWarnEnabled() { return true; }
        @Override public boolean isWarnEnabled(Marker marker) { return true; }
        @Override public boolean isErrorEnabled() { return true; }
        @Override public boolean isErrorEnabled(Marker marker) { return true; }
    }

    /** Kept apart so that modules without logback never load its classes. */
    private static final class LogbackTap {
        static Runnable attach(String name, java.util.function.Consumer<Line> sink) {
            if (!(LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger)) {
                throw new IllegalStateException("LogCapture.attach needs logback as the SLF4J backend of these tests; "
                        + "use LogCapture.recorder(..) and pass its logger in");
            }
            var appender = new ch.qos.logback.core.AppenderBase<ch.qos.logback.classic.spi.ILoggingEvent>() {
                @Override
                protected void append(ch.qos.logback.classic.spi.ILoggingEvent e) {
                    Throwable thrown = e.getThrowableProxy() instanceof ch.qos.logback.classic.spi.ThrowableProxy p ? p.getThrowable() : null;
                    sink.accept(new Line(e.getLevel().toString(), e.getFormattedMessage(), Map.copyOf(e.getMDCPropertyMap()), thrown));
                }
            };
            appender.setName("LogCapture");
            appender.start();
            ch.qos.logback.classic.Level before = logger.getLevel();
            boolean additive = logger.isAdditive();
            logger.setLevel(ch.qos.logback.classic.Level.ALL);
            logger.setAdditive(false); // captured lines stay out of the test's console
            logger.addAppender(appender);
            return () -> {
                logger.detachAppender(appender);
                logger.setAdditive(additive);
                logger.setLevel(before);
                appender.stop();
            };
        }
    }
}
