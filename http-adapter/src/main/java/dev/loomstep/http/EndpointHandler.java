package dev.loomstep.http;

import dev.loomstep.Step;

/**
 * The body of a durable endpoint: answers an HTTP request using steps. It runs again from the top when
 * the run resumes, with completed steps memoized, so code outside steps must be deterministic.
 */
@FunctionalInterface
public interface EndpointHandler {
    /**
     * @return the answer: an {@link EndpointResponse}, or any value, answered as {@code 200} JSON
     */
    Object handle(EndpointRequest request, Step step) throws Exception;
}
