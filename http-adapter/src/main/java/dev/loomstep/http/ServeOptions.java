package dev.loomstep.http;

import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;

/**
 * How an adapter serves an app, beyond what {@link dev.loomstep.Config} already says (mode, keys, serve
 * origin and path). Immutable; start from {@link #defaults()}.
 *
 * <pre>{@code
 * var options = ServeOptions.defaults().maxBodyBytes(8 << 20);
 * }</pre>
 *
 * @param maxBodyBytes    the largest request body read; past it the answer is 413 (default 32 MiB, the
 *                        largest run state Inngest Cloud sends before it switches to {@code use_api})
 * @param allowInBandSync answer in-band sync requests ({@code X-Inngest-Sync-Kind: in_band}); default
 *                        true unless {@code INNGEST_ALLOW_IN_BAND_SYNC} is false
 * @param httpClient      the client for outgoing calls to the executor's API (sync); null for a default
 * @param apiTimeout      the time limit of one outgoing call to the executor's API
 * @param clock           the clock signatures are checked against
 * @param missingKeyFix   what the startup warning and every refusal of an app in cloud mode without a
 *                        signing key tell the user to do, in the terms of how they configure the app (the
 *                        Spring Boot starter names its properties); null for the plain-Java advice
 */
public record ServeOptions(long maxBodyBytes, boolean allowInBandSync, HttpClient httpClient, Duration apiTimeout, Clock clock,
                           String missingKeyFix) {
    public static final long DEFAULT_MAX_BODY_BYTES = 32L << 20;

    public ServeOptions {
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException("maxBodyBytes must be positive, got " + maxBodyBytes);
        }
        if (apiTimeout == null || apiTimeout.isNegative() || apiTimeout.isZero()) {
            throw new IllegalArgumentException("apiTimeout must be a positive duration, got " + apiTimeout);
        }
        clock = clock == null ? Clock.systemUTC() : clock;
    }

    /** Defaults, with {@code INNGEST_ALLOW_IN_BAND_SYNC} read from the environment. */
    public static ServeOptions defaults() {
        String inBand = System.getenv("INNGEST_ALLOW_IN_BAND_SYNC");
        boolean allow = inBand == null || !(inBand.trim().equals("0") || inBand.trim().equalsIgnoreCase("false"));
        return new ServeOptions(DEFAULT_MAX_BODY_BYTES, allow, null, Duration.ofSeconds(30), Clock.systemUTC(), null);
    }

    public ServeOptions maxBodyBytes(long value) {
        return new ServeOptions(value, allowInBandSync, httpClient, apiTimeout, clock, missingKeyFix);
    }

    public ServeOptions allowInBandSync(boolean value) {
        return new ServeOptions(maxBodyBytes, value, httpClient, apiTimeout, clock, missingKeyFix);
    }

    public ServeOptions httpClient(HttpClient value) {
        return new ServeOptions(maxBodyBytes, allowInBandSync, value, apiTimeout, clock, missingKeyFix);
    }

    public ServeOptions apiTimeout(Duration value) {
        return new ServeOptions(maxBodyBytes, allowInBandSync, httpClient, value, clock, missingKeyFix);
    }

    public ServeOptions clock(Clock value) {
        return new ServeOptions(maxBodyBytes, allowInBandSync, httpClient, apiTimeout, value, missingKeyFix);
    }

    public ServeOptions missingKeyFix(String value) {
        return new ServeOptions(maxBodyBytes, allowInBandSync, httpClient, apiTimeout, clock, value);
    }
}
