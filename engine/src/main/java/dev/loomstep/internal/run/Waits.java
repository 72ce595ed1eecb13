package dev.loomstep.internal.run;

import dev.loomstep.protocol.TimeStrings;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The length of a durable wait as sent to the executor: whole seconds, at least one ({@link
 * TimeStrings#durableWait}). The first wait this JVM rounds is logged, as the JS SDK warns once, so a
 * user asking for 500 ms learns why the run slept a second. A negative wait is a zero one: it ends at once.
 */
final class Waits {
    private static final Logger LOG = LoggerFactory.getLogger(Waits.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    private static final AtomicBoolean NEGATIVE_WARNED = new AtomicBoolean();

    private Waits() {}

    static String wire(Duration duration) {
        if (duration.isNegative()) {
            // A deadline already passed (say Duration.between(now, deadline)): the wait ends at once, as a zero
            // one does. The JS SDK sends "" for both; see the engine README for why Loomstep sends "0s".
            if (NEGATIVE_WARNED.compareAndSet(false, true)) {
                LOG.warn("a negative durable wait ({}) is sent as \"0s\": it ends at once (logged once)", duration);
            }
            return TimeStrings.durableWait(Duration.ZERO);
        }
        String wire = TimeStrings.durableWait(duration);
        if (!TimeStrings.wholeSecondsOf(duration).equals(duration) && WARNED.compareAndSet(false, true)) {
            LOG.warn("durable waits have a one-second resolution: a wait of {} is sent as \"{}\" "
                    + "(sub-second waits round up to 1s, longer ones drop their fraction; logged once)", duration, wire);
        }
        return wire;
    }
}
