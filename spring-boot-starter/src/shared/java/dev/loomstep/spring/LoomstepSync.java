package dev.loomstep.spring;

import dev.loomstep.Loomstep;
import dev.loomstep.http.LoomstepServlet;
import dev.loomstep.http.SdkEndpoint;
import dev.loomstep.http.ServeOptions;
import dev.loomstep.http.SyncResult;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;

/**
 * Syncs the app with its executor (the dev server, Inngest Cloud or a self-hosted server) once the
 * application is ready and its web server listens, and remembers how that went for the health
 * indicator. A failed sync is logged as one WARN naming the executor and its answer; the app keeps
 * running (the executor can still sync it with a PUT to the endpoint).
 */
public final class LoomstepSync implements ApplicationListener<ApplicationReadyEvent> {
    private static final Logger log = LoggerFactory.getLogger(LoomstepSync.class);

    /** How the last sync went. */
    public sealed interface State {
        /** No sync yet (disabled, or the application is not ready). */
        record NotSynced() implements State {}

        /** The executor took the app served at {@code url}. */
        record Synced(String url, Instant at, boolean modified) implements State {}

        /** The executor refused the app or could not be reached. */
        record Failed(String url, Instant at, String error) implements State {}
    }

    private final Loomstep app;
    private final LoomstepProperties properties;
    private final SdkEndpoint endpoint;
    private volatile State state = new State.NotSynced();

    public LoomstepSync(Loomstep app, LoomstepProperties properties) {
        this(new SdkEndpoint(app, LoomstepServlet.FRAMEWORK, ServeOptions.defaults()), properties);
    }

    /**
     * Syncs through {@code endpoint}, the one the servlet serves, so that the synced body matches what a
     * PUT would give and the endpoint's start-up warnings are logged once.
     */
    public LoomstepSync(SdkEndpoint endpoint, LoomstepProperties properties) {
        this.app = endpoint.app();
        this.properties = properties;
        this.endpoint = endpoint;
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        if (!properties.syncOnStartup()) {
            return;
        }
        Integer port = WebServerPort.of(event.getApplicationContext());
        if (port == null) {
            log.warn("Loomstep: not a web application, so there is no endpoint to sync; set loomstep.sync-on-startup=false to silence this");
            return;
        }
        sync(localUrl(event.getApplicationContext().getEnvironment(), port));
    }

    /** Syncs the app served at {@code url} (the serve origin, when configured, replaces its origin). */
    public State sync(String url) {
        String at = url;
        try {
            at = endpoint.serveUrl(url);
            SyncResult result = endpoint.sync(url, null);
            state = new State.Synced(at, Instant.now(), result.modified());
            log.info("Loomstep: app \"{}\" ({} mode, {} functions) synced with {} as {}", app.appId(), app.config().mode(),
                    app.functions().size(), app.config().apiOrigin(), at);
        } catch (RuntimeException e) {
            state = new State.Failed(at, Instant.now(), e.getMessage());
            log.warn("Loomstep: could not sync app \"{}\" with {}: {}. No run starts until it is synced ({}).", app.appId(),
                    app.config().apiOrigin(), e.getMessage(), app.config().dev()
                            ? "start the dev server, e.g. ./loom devserver, or set loomstep.dev-server-url"
                            : "check loomstep.signing-key and the executor's URL");
        }
        return state;
    }

    public State state() {
        return state;
    }

    private String localUrl(Environment environment, int port) {
        String host = environment.getProperty("server.address", "localhost");
        String contextPath = environment.getProperty("server.servlet.context-path", "");
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + contextPath + properties.servePath();
    }
}
