package dev.loomstep.internal.run;

import dev.loomstep.NonRetriableException;
import dev.loomstep.RetryAfterException;
import dev.loomstep.StepFailedException;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.WireError;

/** The one place that maps a function's or step's exception to the wire. */
final class Errors {
    private Errors() {}

    /**
     * Serialises an exception. Loomstep's own control exceptions travel under the names the official
     * SDKs use ({@code NonRetriableError}, {@code RetryAfterError}), so executors and dashboards treat
     * them alike whatever SDK threw them.
     */
    static WireError toWire(Throwable t) {
        WireError w = WireError.from(t);
        if (t instanceof NonRetriableException) {
            return new WireError("NonRetriableError", w.message(), w.stack(), w.cause());
        }
        if (t instanceof RetryAfterException) {
            return new WireError("RetryAfterError", w.message(), w.stack(), w.cause());
        }
        return w;
    }

    /**
     * A function that threw: 400 without retries for a non-retriable error, an uncaught failed step
     * (its retries are already spent) or an error on the last attempt, else 500 with retries, honouring
     * Retry-After.
     */
    static CallResult functionError(Throwable t, boolean lastAttempt) {
        WireError wire = toWire(t);
        byte[] body = Json.toBytes(wire);
        if (t instanceof NonRetriableException || t instanceof StepFailedException || lastAttempt) {
            return new CallResult(400, body, true, null);
        }
        String retryAfter = t instanceof RetryAfterException r ? r.retryAfterHeader() : null;
        return new CallResult(500, body, false, retryAfter);
    }
}
