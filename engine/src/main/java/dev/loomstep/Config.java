package dev.loomstep;

import java.util.Map;

/**
 * Where the executor is and how to talk to it. {@link #fromEnvironment()} reads the spec's variables;
 * {@link Loomstep.Builder} overrides any of them.
 *
 * @param dev                 dev mode: talk to a dev server, never check signatures
 * @param apiOrigin           origin of the executor's API ({@code /fn/register}, {@code /v0/runs/…})
 * @param eventApiOrigin      origin of the event API ({@code /e/{key}})
 * @param eventKey            key for sending events (a placeholder is used in dev mode)
 * @param signingKey          {@code signkey-{env}-{hex}}: verifies requests and authenticates calls
 * @param signingKeyFallback  tried when the primary key fails, for key rotation
 * @param env                 the Inngest environment (branch), sent as {@code X-Inngest-Env}
 * @param serveOrigin         the public origin of this app's endpoint, when it differs from the request's
 * @param servePath           the public path of this app's endpoint
 */
public record Config(
        boolean dev,
        String apiOrigin,
        String eventApiOrigin,
        String eventKey,
        String signingKey,
        String signingKeyFallback,
        String env,
        String serveOrigin,
        String servePath,
        String logLevel) {

    public static final String DEV_SERVER_ORIGIN = "http://localhost:8288";
    public static final String CLOUD_API_ORIGIN = "https://api.inngest.com";
    public static final String CLOUD_EVENT_API_ORIGIN = "https://inn.gs";

    /** Reads {@code INNGEST_*} from the process environment. */
    public static Config fromEnvironment() {
        return from(System.getenv());
    }

    /**
     * Reads the spec's variables from {@code env}: INNGEST_DEV ({@code 1}/{@code true} or a dev server
     * origin), INNGEST_BASE_URL, INNGEST_API_BASE_URL / INNGEST_API_ORIGIN,
     * INNGEST_EVENT_API_BASE_URL / INNGEST_EVENT_API_ORIGIN, INNGEST_EVENT_KEY, INNGEST_SIGNING_KEY,
     * INNGEST_SIGNING_KEY_FALLBACK, INNGEST_ENV, INNGEST_SERVE_ORIGIN, INNGEST_SERVE_PATH,
     * INNGEST_LOG_LEVEL.
     */
    public static Config from(Map<String, String> env) {
        String devVar = blankToNull(env.get("INNGEST_DEV"));
        boolean dev = devVar != null && !devVar.equals("0") && !devVar.equalsIgnoreCase("false");
        String devOrigin = dev && devVar.contains("://") ? stripSlash(devVar) : null;
        String base = stripSlash(blankToNull(env.get("INNGEST_BASE_URL")));
        String fallback = devOrigin != null ? devOrigin : base != null ? base : dev ? DEV_SERVER_ORIGIN : null;
        String api = first(env, "INNGEST_API_BASE_URL", "INNGEST_API_ORIGIN");
        String events = first(env, "INNGEST_EVENT_API_BASE_URL", "INNGEST_EVENT_API_ORIGIN");
        return new Config(
                dev,
                api != null ? api : fallback != null ? fallback : CLOUD_API_ORIGIN,
                events != null ? events : fallback != null ? fallback : CLOUD_EVENT_API_ORIGIN,
                blankToNull(env.get("INNGEST_EVENT_KEY")),
                blankToNull(env.get("INNGEST_SIGNING_KEY")),
                blankToNull(env.get("INNGEST_SIGNING_KEY_FALLBACK")),
                blankToNull(env.get("INNGEST_ENV")),
                stripSlash(blankToNull(env.get("INNGEST_SERVE_ORIGIN"))),
                blankToNull(env.get("INNGEST_SERVE_PATH")),
                blankToNull(env.get("INNGEST_LOG_LEVEL")));
    }

    /** "dev" or "cloud", as introspection reports it. */
    public String mode() {
        return dev ? "dev" : "cloud";
    }

    /** The event key to send with; dev servers accept any key. */
    public String effectiveEventKey() {
        return eventKey != null ? eventKey : dev ? "dev" : null;
    }

    public Config withDev(boolean value, String origin) {
        String o = origin == null ? null : stripSlash(origin);
        return new Config(value, o != null ? o : apiOrigin, o != null ? o : eventApiOrigin, eventKey, signingKey, signingKeyFallback, env, serveOrigin, servePath, logLevel);
    }

    public Config withApiOrigin(String value) {
        return new Config(dev, stripSlash(value), eventApiOrigin, eventKey, signingKey, signingKeyFallback, env, serveOrigin, servePath, logLevel);
    }

    public Config withEventApiOrigin(String value) {
        return new Config(dev, apiOrigin, stripSlash(value), eventKey, signingKey, signingKeyFallback, env, serveOrigin, servePath, logLevel);
    }

    public Config withEventKey(String value) {
        return new Config(dev, apiOrigin, eventApiOrigin, value, signingKey, signingKeyFallback, env, serveOrigin, servePath, logLevel);
    }

    public Config withSigningKeys(String primary, String fallbackKey) {
        return new Config(dev, apiOrigin, eventApiOrigin, eventKey, primary, fallbackKey, env, serveOrigin, servePath, logLevel);
    }

    public Config withEnv(String value) {
        return new Config(dev, apiOrigin, eventApiOrigin, eventKey, signingKey, signingKeyFallback, value, serveOrigin, servePath, logLevel);
    }

    public Config withServe(String origin, String path) {
        return new Config(dev, apiOrigin, eventApiOrigin, eventKey, signingKey, signingKeyFallback, env, stripSlash(origin), path, logLevel);
    }

    private static String first(Map<String, String> env, String... names) {
        for (String n : names) {
            String v = blankToNull(env.get(n));
            if (v != null) {
                return stripSlash(v);
            }
        }
        return null;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static String stripSlash(String s) {
        return s != null && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
