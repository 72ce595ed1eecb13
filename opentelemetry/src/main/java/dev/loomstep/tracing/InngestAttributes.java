package dev.loomstep.tracing;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The span attributes Loomstep sets, named as Inngest names them where Inngest has a name (its JS SDK's
 * extended traces and its executor read these), and {@code loomstep.*} where it has none.
 */
public final class InngestAttributes {
    private InngestAttributes() {}

    /** The run the span belongs to; how the executor files a span under its run. */
    public static final AttributeKey<String> RUN_ID = AttributeKey.stringKey("sdk.run.id");
    /** The app's id, as the executor named it in the call's {@code tracestate} ({@code inngest@app}). */
    public static final AttributeKey<String> APP_ID = AttributeKey.stringKey("sdk.app.id");
    /** The same app id under the executor's own name for it. */
    public static final AttributeKey<String> SYS_APP_ID = AttributeKey.stringKey("sys.app.id");
    /** The executor's id of the function ({@code inngest@fn} of the call's {@code tracestate}). */
    public static final AttributeKey<String> SYS_FUNCTION_ID = AttributeKey.stringKey("sys.function.id");
    /** The {@code traceparent} header of the call the span was made in, parroted back to the executor. */
    public static final AttributeKey<String> TRACEPARENT = AttributeKey.stringKey("inngest.traceparent");
    /** The executor's reference to its own span for the call ({@code inngest@traceref}), parroted back. */
    public static final AttributeKey<String> TRACEREF = AttributeKey.stringKey("inngest.traceref");
    /** The user's id of the step a span ran in. */
    public static final AttributeKey<String> STEP_ID = AttributeKey.stringKey("inngest.step.id");
    /** The wire id of that step (the SHA-1 the executor knows it by). */
    public static final AttributeKey<String> STEP_HASH = AttributeKey.stringKey("inngest.step.hash");
    /** The attempt of the call the step ran in (0 first). */
    public static final AttributeKey<Long> STEP_ATTEMPT = AttributeKey.longKey("inngest.step.attempt");
    /** What the step is: run, sleep, waitForEvent, invoke, sendEvent… */
    public static final AttributeKey<String> STEP_TYPE = AttributeKey.stringKey("sys.step.type");

    /** Loomstep's composite function id, {@code {appId}-{functionId}}. */
    public static final AttributeKey<String> FUNCTION_ID = AttributeKey.stringKey("loomstep.function.id");
    /** The attempt of the call (0 first). */
    public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("loomstep.attempt");

    /** The span of one call (one attempt of a run), as Inngest's SDKs name it. */
    public static final String EXECUTION_SPAN = "inngest.execution";
    /** The instrumentation scope of Loomstep's spans: Inngest's, which its executor treats as the SDK's own. */
    public static final String SCOPE = "inngest";
}
