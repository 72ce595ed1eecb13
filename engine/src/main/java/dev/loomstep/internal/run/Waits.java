package dev.loomstep.internal.run;

import dev.loomstep.protocol.TimeStrings;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The length of a durable wait as sent to the executor: whole seconds, at least one ({@link
 * TimeStrings#durableWait}). The first wait this JVM rounds is logged, as the JS SDK warns once, so a
 * user asking for 500 ms learns why the run slept a second.
 */
final class Waits {
    private static final Logger LOG = LoggerFactory.getLogger(Waits.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private Waits() {}

    static String wire(Duration duration) {
        String wire = TimeStrings.durableWait(duration);
        if (!TimeStrings.wholeSecondsOf(duration).equals(duration) && WARNED.compareAndSet(false, true)) {
            LOG.warn("durable waits have a one-second resolution: a wait of {} is sent as \"{}\" "
                    + "(sub-second waits round up to 1s, longer ones drop their fraction; logged once)", duration, wire);
        }
        return wire;
    }
}
