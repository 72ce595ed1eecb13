package dev.loomstep.devserver.seam;

/**
 * The parts the executor consults but does not own, in one place: expression evaluation (CEL), cron
 * schedules, and flow control. {@link FlowControl} is still the stopgap {@link FlowControl#none()}:
 * the decisions exist in {@code dev.loomstep.devserver.flow} and are wired in here.
 */
public record Seams(Expressions expressions, Schedules schedules, FlowControl flowControl) {

    /** WIRE HERE: the flow-control decisions of {@code dev.loomstep.devserver.flow}. */
    public static Seams defaults() {
        return new Seams(new CelExpressions(), Schedules.cron(), FlowControl.none());
    }
}
