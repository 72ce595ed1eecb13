package dev.loomstep.http;

/**
 * A successful sync: the executor registered the app.
 *
 * @param message  a line for the logs
 * @param modified whether the executor's view of the app changed (functions added, removed or edited)
 */
public record SyncResult(String message, boolean modified) {}
