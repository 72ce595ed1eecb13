package dev.loomstep.devserver.api;

import dev.loomstep.devserver.auth.ApiAccess;
import dev.loomstep.devserver.auth.ServiceKeys;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.Json;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;
import java.net.InetSocketAddress;

/**
 * The gate in front of every route in production mode, checked before a body is read: an event key on
 * {@code /e/{key}}; the signing key's bearer on the SDKs' API calls ({@code /fn/register},
 * {@code /v0/...}, their extended traces on {@code /v1/traces/userland}); the REST API and the web UI per {@link ApiAccess}. The checkpoint API checks its
 * bearer itself (it answers 401 in dev mode too, when a signing key is given), and {@code /health} is open.
 */
final class Access implements HttpHandler {
    private static final HttpString SERVER_KIND = new HttpString(Headers.SERVER_KIND);
    /** The event key of the web UI's Send event page ({@code ui/pages.js}). */
    static final String UI_EVENT_KEY = "dev-ui";

    private final HttpHandler next;
    private final ServiceKeys keys;
    private final ApiAccess access;

    Access(HttpHandler next, ServiceKeys keys, ApiAccess access) {
        this.next = next;
        this.keys = keys;
        this.access = access;
    }

    @Override
    public void handleRequest(HttpServerExchange ex) throws Exception {
        String path = ex.getRequestPath();
        String refusal = refusal(ex, path);
        if (refusal == null) {
            next.handleRequest(ex);
            return;
        }
        ex.setStatusCode(401);
        ex.setPersistent(false); // the body was not read
        ex.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "application/json");
        ex.getResponseHeaders().put(SERVER_KIND, "cloud");
        ex.getResponseSender().send(Json.toString(Json.nodes().objectNode().put("error", refusal).put("status", 401)));
    }

    /** Why the request may not pass, in one line; null when it may. */
    private String refusal(HttpServerExchange ex, String path) {
        // The checkpoint routes check their bearer themselves; a run's output, its token; a realtime subscription
        // carries its own credential, the token the API issued (checked by the route).
        if (path.equals("/health") || path.equals("/v1/checkpoint") || path.startsWith("/v1/checkpoint/") || path.startsWith("/v1/http/runs/")
                || path.equals("/v1/realtime/connect") || path.equals("/v1/realtime/sse")) {
            return null;
        }
        boolean bearer = keys.bearer(ex.getRequestHeaders().getFirst(io.undertow.util.Headers.AUTHORIZATION));
        if (path.equals("/e") || path.startsWith("/e/")) {
            String key = path.length() > 3 ? path.substring(3) : "";
            if (keys.eventKey(key)) {
                return null;
            }
            // The web UI's Send event page posts with the key "dev-ui": whoever may use the UI may send from it.
            if (key.equals(UI_EVENT_KEY) && (bearer || access == ApiAccess.LOOPBACK_OR_KEY && fromLoopback(ex))) {
                return null;
            }
            return "event key not found: send events to /e/{key} with one of this server's event keys (--event-key / INNGEST_EVENT_KEY)";
        }
        if (path.equals("/fn/register") || path.startsWith("/v0/") || path.equals("/v1/traces/userland")
                || path.startsWith("/v1/realtime/")) {
            if (bearer) {
                return null;
            }
            // A key was sent but is not this server's: say so, rather than ask for what was already sent.
            return ex.getRequestHeaders().getFirst(io.undertow.util.Headers.AUTHORIZATION) != null
                    ? "unauthorized: the Authorization: Bearer token sent is not this server's signing key: the SDK's"
                            + " INNGEST_SIGNING_KEY (and its fallback) must be the devserver's --signing-key"
                    : "unauthorized: send Authorization: Bearer with this server's signing key, as SDKs do with INNGEST_SIGNING_KEY";
        }
        if (bearer || access == ApiAccess.LOOPBACK_OR_KEY && fromLoopback(ex)) {
            return null;
        }
        return "unauthorized: the REST API and the UI need Authorization: Bearer with this server's signing key"
                + (access == ApiAccess.LOOPBACK_OR_KEY ? " from anywhere but this machine" : "");
    }

    private static boolean fromLoopback(HttpServerExchange ex) {
        InetSocketAddress peer = ex.getSourceAddress();
        return peer != null && peer.getAddress() != null && peer.getAddress().isLoopbackAddress();
    }
}
