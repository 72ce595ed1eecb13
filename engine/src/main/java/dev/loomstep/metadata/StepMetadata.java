package dev.loomstep.metadata;

/**
 * Run metadata set as a step of its own ({@link dev.loomstep.Step#metadata}), as the JS SDK's
 * {@code step.metadata(id).set(values)}: the update rides on the step's op, so it is set once per run however
 * often the function replays.
 *
 * <pre>{@code
 * step.metadata("tag").set(Map.of("customer", "ada"));            // the run's userland.default
 * step.metadata("cost").set(Map.of("usd", 0.42), "billing");       // the run's userland.billing
 * }</pre>
 */
public interface StepMetadata {

    /** Sets the run's {@code userland.default} metadata to {@code values} (a map or a record). */
    default void set(Object values) {
        set(values, RunMetadata.DEFAULT_KIND);
    }

    /** Sets the run's {@code userland.<kind>} metadata to {@code values} (a map or a record). */
    void set(Object values, String kind);
}
