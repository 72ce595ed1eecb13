package dev.loomstep.devserver.executor;

import dev.loomstep.devserver.store.FunctionRecord;

/**
 * How the executor reaches an SDK for one call: over HTTP to the function's URL, or through a Connect
 * worker's socket. Either way the answer is the same {@link SdkClient.Reply}, classified by the same
 * rules, so the executor never knows which road a call took.
 */
@FunctionalInterface
public interface SdkTransport {

    /**
     * One call: the function, the URL with its {@code stepId} set, the step targeted ({@code "step"} for a
     * discovery call), the JSON call body, the execution version and the dispatch (request id, generation).
     */
    record Call(FunctionRecord fn, String url, String stepId, String runId, byte[] body, int requestVersion,
                Dispatches.Dispatch dispatch) {}

    /** Makes the call; blocks (call from a virtual thread). @throws InterruptedException when shutting down */
    SdkClient.Reply call(Call call) throws InterruptedException;

    /** The HTTP road: POST to the function's URL. */
    static SdkTransport http(SdkClient client) {
        return c -> client.call(c.url(), c.body(), c.requestVersion(), c.dispatch());
    }
}
