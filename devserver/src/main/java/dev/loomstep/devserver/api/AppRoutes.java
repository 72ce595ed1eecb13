package dev.loomstep.devserver.api;

import static dev.loomstep.devserver.api.Rest.data;
import static dev.loomstep.devserver.api.Rest.path;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.devserver.connect.ConnectGateway;
import dev.loomstep.devserver.executor.AppHealth;
import dev.loomstep.devserver.executor.Lifecycle;
import dev.loomstep.devserver.store.AppRecord;
import dev.loomstep.protocol.Json;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code /v1/apps}: the synced apps with their sync status and last sync error, and Resync. */
final class AppRoutes {
    private final Lifecycle lifecycle;
    private final SyncStatus syncs;
    private final String serverKind;
    private final java.util.function.Supplier<ConnectGateway> connect;
    private final java.util.function.Supplier<AppHealth> health;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** @param serverKind sent with the PUT as {@code X-Inngest-Server-Kind}; the SDK expects it back when it syncs */
    AppRoutes(Lifecycle lifecycle, SyncStatus syncs, String serverKind, java.util.function.Supplier<ConnectGateway> connect,
            java.util.function.Supplier<AppHealth> health) {
        this.connect = connect;
        this.health = health;
        this.lifecycle = lifecycle;
        this.syncs = syncs;
        this.serverKind = serverKind;
    }

    private HttpApi api;

    void addTo(RoutingHandler r, HttpApi api) {
        this.api = api;
        r.get("/v1/apps", api.blocking(this::list))
                .post("/v1/apps", api.blocking(this::add))
                .put("/v1/apps/{appId}", api.blocking(this::changeUrl))
                .delete("/v1/apps/{appId}", api.blocking(this::delete))
                .post("/v1/apps/{appId}/resync", api.blocking(this::resync));
    }

    /** {@code POST /v1/apps {"url": "..."}}: asks the app at that URL to sync (a PUT to it); answers the app it synced as. */
    private Object add(HttpServerExchange ex, byte[] body) throws InterruptedException {
        String url = url(body, "add app");
        java.util.Set<String> before = new java.util.HashSet<>();
        lifecycle.store().apps().forEach(a -> before.add(a.id() + "\u0000" + a.syncedAt()));
        String problem = put(url);
        if (problem != null) {
            throw new ApiException(502, problem);
        }
        AppRecord app = lifecycle.store().apps().stream().filter(a -> url.equals(a.url())).findFirst()
                .or(() -> lifecycle.store().apps().stream().filter(a -> !before.contains(a.id() + "\u0000" + a.syncedAt()))
                        .max(java.util.Comparator.comparingLong(AppRecord::syncedAt)))
                .orElseThrow(() -> new ApiException(502, "the app at " + url + " answered the PUT but did not sync"));
        return data(view(app, functionCount(app.id())));
    }

    /**
     * {@code PUT /v1/apps/{id} {"url": "..."}}: the app is now served at another URL: the devserver asks it
     * there to sync, and calls it there from then on (even when the SDK syncs with the URL it believes it has).
     */
    private Object changeUrl(HttpServerExchange ex, byte[] body) throws InterruptedException {
        String id = path(ex, "appId");
        String url = url(body, "change app URL");
        AppRecord old = lifecycle.store().apps().stream().filter(a -> a.id().equals(id)).findFirst()
                .orElseThrow(() -> ApiException.notFound("no app with id \"" + id + "\""));
        if (old.connect()) {
            throw ApiException.badRequest("app \"" + id + "\" is served by Connect workers: it has no URL to change");
        }
        String problem = put(url);
        if (problem != null) {
            syncs.failed(id, url, problem, lifecycle.clock().instant());
            throw new ApiException(502, problem);
        }
        AppRecord synced = lifecycle.store().apps().stream().filter(a -> a.id().equals(id)).findFirst().orElse(old);
        AppRecord now = synced;
        if (!url.equals(synced.url())) {
            // The functions keep the URL they were synced with; the app's and theirs move together.
            var moved = new AppRecord(synced.id(), url, synced.sdk(), synced.framework(), synced.appVersion(), synced.syncedAt());
            var functions = lifecycle.registry().functions().stream().filter(f -> f.appId().equals(id))
                    .map(f -> f.movedTo(synced.url(), url)).toList();
            api.commitSync(new dev.loomstep.devserver.executor.Registry.Sync(moved, functions));
            now = moved;
        }
        return data(view(now, functionCount(id)));
    }

    /** {@code DELETE /v1/apps/{id}}: the app and its functions go; their runs stay. */
    private Object delete(HttpServerExchange ex, byte[] body) {
        String id = path(ex, "appId");
        if (!api.deleteApp(id)) {
            throw ApiException.notFound("no app with id \"" + id + "\"");
        }
        return data(Json.nodes().objectNode().put("deleted", id));
    }

    private long functionCount(String appId) {
        return lifecycle.registry().functions().stream().filter(f -> f.appId().equals(appId)).count();
    }

    /** The {@code url} of a body {@code {"url": "http(s)://..."}}, or a 400 saying what is wrong. */
    private static String url(byte[] body, String what) {
        var in = Rest.parseJson(body, what);
        String url = in.path("url").asText("").trim();
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
            throw ApiException.badRequest(what + ": \"url\" must be the app's serve URL, like http://localhost:3000/api/inngest; got \""
                    + url + "\"");
        }
        return url;
    }

    /** Asks the app at {@code url} to sync (a PUT, as {@code -u} does); null when it answered 2xx, else why not. */
    private String put(String url) throws InterruptedException {
        try {
            HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .header("X-Inngest-Server-Kind", serverKind).PUT(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            return res.statusCode() / 100 == 2 ? null : "PUT " + url + " answered HTTP " + res.statusCode() + ": "
                    + res.body().strip().lines().findFirst().orElse("(no body)");
        } catch (java.io.IOException | IllegalArgumentException e) {
            return "cannot reach " + url + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    private Object list(HttpServerExchange ex, byte[] body) {
        return list();
    }

    /** Every app with its sync status, as {@code GET /v1/apps} answers. */
    ObjectNode list() {
        Map<String, Long> counts = new HashMap<>();
        lifecycle.registry().functions().forEach(f -> counts.merge(f.appId(), 1L, Long::sum));
        ArrayNode a = Json.nodes().arrayNode();
        var known = new java.util.HashSet<String>();
        for (AppRecord app : lifecycle.store().apps()) {
            known.add(app.id());
            a.add(view(app, counts.getOrDefault(app.id(), 0L)));
        }
        // An app whose first sync was refused has no record yet, but its error belongs on the list.
        syncs.all().forEach((id, f) -> {
            if (!known.contains(id)) {
                ObjectNode o = a.addObject().put("id", id).put("name", id).put("url", f.url());
                o.put("function_count", 0).put("sync_status", "error").put("last_sync_error", f.message())
                        .put("last_sync_error_at", f.at().toString());
            }
        });
        return data(a);
    }

    private ObjectNode view(AppRecord app, long functions) {
        ObjectNode o = Views.app(app, functions);
        var failure = syncs.failure(app.id());
        AppHealth calls = health.get();
        var refused = calls == null || app.connect() ? java.util.Optional.<AppHealth.Problem>empty() : calls.of(app.url());
        // Synced but refusing every call (a signing key that does not match, or none) is not healthy: "failing".
        o.put("sync_status", failure.isPresent() ? "error" : refused.isPresent() ? "failing" : "synced");
        o.put("last_sync_error", failure.map(SyncStatus.Failure::message).orElse(null));
        o.put("last_sync_error_at", failure.map(f -> f.at().toString()).orElse(null));
        o.put("last_call_error", refused.map(AppHealth.Problem::message).orElse(null));
        o.put("last_call_error_at", refused.map(p -> p.at().toString()).orElse(null));
        o.put("connection_type", app.connect() ? "connect" : "http");
        if (app.connect()) {
            // Its workers, as Inngest's apps page lists them: an app with none connected waits for one.
            ArrayNode workers = o.putArray("connections");
            ConnectGateway gateway = connect.get();
            for (var c : gateway == null ? List.<ConnectGateway.ConnectionInfo>of() : gateway.connections(app.id())) {
                ObjectNode w = workers.addObject();
                w.put("id", c.connectionId()).put("instance_id", c.instanceId()).put("status", c.status())
                        .put("connected_at", c.connectedAt().toString())
                        .put("last_heartbeat_at", c.lastHeartbeatAt() == null ? null : c.lastHeartbeatAt().toString())
                        .put("in_flight", c.inFlight()).put("max_concurrency", c.maxConcurrency()).put("sdk", c.sdk());
            }
        }
        return o;
    }

    /**
     * Asks the app to sync again: a {@code PUT} to its URL, as {@code -u} does; the SDK then posts its
     * functions to {@code /fn/register}. A refusal or an unreachable app becomes its last sync error (502).
     */
    private Object resync(HttpServerExchange ex, byte[] body) throws InterruptedException {
        String id = path(ex, "appId");
        if (lifecycle.store().apps().stream().anyMatch(a -> a.id().equals(id) && a.connect())) {
            throw ApiException.badRequest("app \"" + id + "\" is served by Connect workers: it syncs each time a worker connects");
        }
        String url = lifecycle.store().apps().stream().filter(a -> a.id().equals(id)).map(AppRecord::url).findFirst()
                .orElseGet(() -> syncs.failure(id).map(SyncStatus.Failure::url).orElse(null));
        if (url == null) {
            throw ApiException.notFound("no app with id \"" + id + "\"");
        }
        String problem = put(url);
        if (problem != null) {
            syncs.failed(id, url, problem, lifecycle.clock().instant());
            throw new ApiException(502, problem);
        }
        AppRecord app = lifecycle.store().apps().stream().filter(a -> a.id().equals(id)).findFirst().orElse(null);
        if (app == null) {
            throw new ApiException(502, "the app at " + url + " answered the PUT but did not sync as \"" + id + "\"");
        }
        long functions = lifecycle.registry().functions().stream().filter(f -> f.appId().equals(id)).count();
        return data(view(app, functions));
    }
}
