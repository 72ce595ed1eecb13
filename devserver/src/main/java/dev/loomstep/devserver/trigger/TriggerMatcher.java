package dev.loomstep.devserver.trigger;

import dev.loomstep.Event;
import dev.loomstep.devserver.expr.Conditions;
import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.protocol.SyncRequest.TriggerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which functions an event starts: a trigger's event name matches exactly, or as a wildcard
 * prefix ({@code app/*} matches {@code app/user.created}); then its expression, if any, must hold
 * (evaluated through {@link Conditions}).
 */
public final class TriggerMatcher {
    private static final Logger LOG = LoggerFactory.getLogger(TriggerMatcher.class);

    private final Conditions expressions;

    public TriggerMatcher(Conditions expressions) {
        this.expressions = expressions;
    }

    /** Exact name, or a pattern ending in {@code *} that matches every name with its prefix. */
    public static boolean nameMatches(String pattern, String name) {
        if (pattern == null || name == null) {
            return false;
        }
        if (pattern.endsWith("*")) {
            return name.startsWith(pattern.substring(0, pattern.length() - 1));
        }
        return pattern.equals(name);
    }

    /** True when one of {@code fn}'s event triggers accepts {@code event}. */
    public boolean matches(FunctionRecord fn, Event event) {
        if (fn.config().triggers() == null) {
            return false;
        }
        for (TriggerConfig t : fn.config().triggers()) {
            if (t == null || t.event() == null || !nameMatches(t.event(), event.name())) {
                continue;
            }
            if (t.expression() == null || t.expression().isBlank()) {
                return true;
            }
            try {
                if (expressions.trigger(t.expression(), event)) {
                    return true;
                }
            } catch (RuntimeException e) {
                LOG.warn("function {}: trigger expression {} on event {} ({}) could not be evaluated, so it does not match: {}",
                        fn.id(), t.expression(), event.name(), event.id(), e.getMessage());
            }
        }
        return false;
    }
}
