package dev.loomstep.spring;

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
        @DefaultValue("true") boolean syncOnStartup) {

    public LoomstepProperties {
        if (servePath == null || !servePath.startsWith("/")) {
            throw new IllegalArgumentException("loomstep.serve-path must start with \"/\", got " + servePath);
        }
    }
}
