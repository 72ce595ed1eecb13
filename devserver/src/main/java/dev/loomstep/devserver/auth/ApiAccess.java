package dev.loomstep.devserver.auth;

/** Who may read the REST API and the web UI of a devserver in production mode. */
public enum ApiAccess {
    /**
     * The default: requests from the machine itself (a loopback peer: a browser on it, an SSH tunnel)
     * need nothing; any other peer sends {@code Authorization: Bearer} with the signing key. Behind a
     * reverse proxy on the same machine every request comes from loopback: use {@link #KEY} there.
     */
    LOOPBACK_OR_KEY,
    /** Every request sends {@code Authorization: Bearer} with the signing key (hashed as SDKs send it, or as it is). */
    KEY
}
