package dev.loomstep.devserver.store;

/**
 * A synced app: its name (the id) and where its endpoint is; {@link #CONNECT} (no URL) for an app served
 * by Connect workers, which is reached through the gateway only.
 */
public record AppRecord(String id, String url, String sdk, String framework, String appVersion, long syncedAt) {
    /** The URL kept for an app synced by a Connect worker: none. */
    public static final String CONNECT = "";

    /** Whether Connect workers serve this app (it has no URL to call). */
    public boolean connect() {
        return url == null || url.isEmpty();
    }
}
