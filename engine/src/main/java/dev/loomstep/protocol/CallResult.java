package dev.loomstep.protocol;

/**
 * The engine's answer to a call request, before an adapter adds transport headers.
 *
 * @param status     200 (function returned), 206 (ops), 400 (non-retriable failure) or 500
 * @param body       UTF-8 JSON
 * @param noRetry    the value of {@code X-Inngest-No-Retry} when {@code failure} is true
 * @param retryAfter the value of {@code Retry-After}, or null
 * @param failure    the answer reports an error (a failed function or step); the No-Retry header is
 *                   sent only then, as the official SDKs do
 */
public record CallResult(int status, byte[] body, boolean noRetry, String retryAfter, boolean failure) {
    public CallResult(int status, byte[] body, boolean noRetry, String retryAfter) {
        this(status, body, noRetry, retryAfter, status >= 400);
    }
}
