package dev.loomstep.devserver.seam;

/**
 * The pluggable parts built on other branches, in one place so wiring them in is one edit of
 * {@link #defaults()}.
 */
public record Seams(Expressions expressions, Schedules schedules, FlowControl flowControl) {

    /** WIRE HERE: replace the stopgaps with {@code dev.loomstep.devserver.expr/cron/flow} once merged. */
    public static Seams defaults() {
        return new Seams(new BasicExpressions(), Schedules.unsupported(), FlowControl.none());
    }
}
