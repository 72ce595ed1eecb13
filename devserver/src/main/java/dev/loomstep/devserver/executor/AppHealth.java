package dev.loomstep.devserver.executor;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Apps whose last call was refused for a reason no retry can heal — the app did not accept this devserver's
 * signature, or it has no signing key — keyed by the app's URL (without its query), until a call is answered
 * again. The apps list shows it instead of "synced"; the devserver logs it once when it starts, not per call.
 */
public final class AppHealth {
    private static final Logger LOG = LoggerFactory.getLogger(AppHealth.class);

    /** Why the app's calls fail, and since when. */
    public record Problem(String message, Instant at) {}

    private final Map<String, Problem> problems = new ConcurrentHashMap<>();

    void refused(String url, String message, Instant at) {
        Problem before = problems.put(key(url), new Problem(message, at));
        if (before == null || !before.message().equals(message)) {
            LOG.warn("{}", message);
        }
    }

    void answered(String url) {
        if (!problems.isEmpty() && problems.remove(key(url)) != null) {
            LOG.info("the app at {} answers this devserver's calls again", key(url));
        }
    }

    /** The problem of the app served at {@code appUrl}, if its last call was refused. */
    public Optional<Problem> of(String appUrl) {
        return appUrl == null || problems.isEmpty() ? Optional.empty() : Optional.ofNullable(problems.get(key(appUrl)));
    }

    static String key(String url) {
        int q = url.indexOf('?');
        String k = q < 0 ? url : url.substring(0, q);
        int f = k.indexOf('#');
        k = f < 0 ? k : k.substring(0, f);
        return k.endsWith("/") ? k.substring(0, k.length() - 1) : k;
    }
}
