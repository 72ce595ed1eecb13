package dev.loomstep.spring;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code loomstep.*} properties. Each one left out falls back to its {@code INNGEST_*} environment
 * variable, so the same app runs in dev mode locally and against Inngest Cloud in production without a
 * code change.
 *
 * @param appId              the app id (default: {@code spring.application.name})
 * @param dev                {@code true}: dev mode against {@code http://localhost:8288}; {@code false}: cloud mode;
 *                           unset: {@code INNGEST_DEV} decides (cloud mode when it is unset too)
 * @param devServerUrl       dev mode against this dev server (implies {@code dev=true})
 * @param signingKey         the signing key (cloud mode requires it); {@code INNGEST_SIGNING_KEY}
 * @param signingKeyFallback the fallback signing key, during a key rotation
 * @param eventKey           the event key to send events with; {@code INNGEST_EVENT_KEY}
 * @param env                the Inngest environment (branch); {@code INNGEST_ENV}
 * @param baseUrl            a self-hosted Inngest server: its API and event API origin
 * @param apiBaseUrl         the executor's API origin alone (sync, run state)
 * @param eventApiBaseUrl    the event API origin alone
 * @param serveOrigin        the public origin of this app, when it differs from what requests show (a proxy)
 * @param servePath          where the endpoint is served, under the servlet context path
 * @param syncOnStartup      sync the app with the executor when the application is ready
 * @param connect            serving over Connect (an outbound connection) instead of the HTTP endpoint
 */
@ConfigurationProperties("loomstep")
public record LoomstepProperties(
        String appId,
        Boolean dev,
        String devServerUrl,
        String signingKey,
        String signingKeyFallback,
        String eventKey,
        String env,
        String baseUrl,
        String apiBaseUrl,
        String eventApiBaseUrl,
        String serveOrigin,
        @DefaultValue("/api/inngest") String servePath,
        @DefaultValue("true") boolean syncOnStartup,
        @DefaultValue Connect connect) {

    public LoomstepProperties {
        if (servePath == null || !servePath.startsWith("/")) {
            throw new IllegalArgumentException("loomstep.serve-path must start with \"/\", got " + servePath);
        }
    }

    /**
     * The {@code loomstep.connect.*} properties: with {@code enabled}, a {@code LoomstepConnect} worker
     * serves the app over an outbound connection to the gateway, instead of the servlet and its sync.
     *
     * @param enabled        serve over Connect (needs {@code loomstep-connect} on the classpath)
     * @param instanceId     this worker's name, stable across restarts (default: the host name)
     * @param maxConcurrency the most requests the gateway sends this worker at once (default: no limit)
     * @param gatewayUrl     connect here instead of the gateway the start call names (a proxy, a tunnel)
     * @param connectTimeout how long one try to connect waits for a ready gateway before it is logged and
     *                       tried again (default 60 s)
     */
    public record Connect(
            boolean enabled,
            String instanceId,
            Long maxConcurrency,
            URI gatewayUrl,
            @DefaultValue("60s") Duration connectTimeout) {

        public Connect {
            if (maxConcurrency != null && maxConcurrency < 1) {
                throw new IllegalArgumentException("loomstep.connect.max-concurrency must be at least 1, got " + maxConcurrency);
            }
            if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
                throw new IllegalArgumentException("loomstep.connect.connect-timeout must be a positive duration, got " + connectTimeout);
            }
        }
    }
}
