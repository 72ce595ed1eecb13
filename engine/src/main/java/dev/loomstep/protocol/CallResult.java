package dev.loomstep.protocol;

/**
 * The engine's answer to a call request, before an adapter adds transport headers.
 *
 * @param status     200 (function returned), 206 (ops), 400 (non-retriable failure) or 500
 * @param body       UTF-8 JSON
 * @param noRetry    the value of {@code X-Inngest-No-Retry} (meaningful on errors)
 * @param retryAfter the value of {@code Retry-After}, or null
 */
public record CallResult(int status, byte[] body, boolean noRetry, String retryAfter) {}
