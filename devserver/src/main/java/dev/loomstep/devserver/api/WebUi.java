package dev.loomstep.devserver.api;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * The web UI: static files (HTML, a few scripts, CSS) from the jar's resources, served at {@code /} and
 * {@code /ui/*}. It is a client of the REST API like any other; nothing here knows about runs. The files
 * are read once, at construction, so a missing one fails the devserver's start, not a page load. The
 * content security policy allows only this origin's scripts and styles, so even a slip in escaping
 * cannot run injected script.
 */
final class WebUi {
    private static final String BASE = "/dev/loomstep/devserver/ui/";
    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    private record Asset(String contentType, byte[] bytes) {}

    private final Map<String, Asset> assets = Map.ofEntries(
            Map.entry("index.html", load("index.html", "text/html; charset=utf-8")),
            Map.entry("core.js", load("core.js", "text/javascript; charset=utf-8")),
            Map.entry("runs.js", load("runs.js", "text/javascript; charset=utf-8")),
            Map.entry("run.js", load("run.js", "text/javascript; charset=utf-8")),
            Map.entry("rerun.js", load("rerun.js", "text/javascript; charset=utf-8")),
            Map.entry("events.js", load("events.js", "text/javascript; charset=utf-8")),
            Map.entry("pages.js", load("pages.js", "text/javascript; charset=utf-8")),
            Map.entry("spans.js", load("spans.js", "text/javascript; charset=utf-8")),
            Map.entry("metadata.js", load("metadata.js", "text/javascript; charset=utf-8")),
            Map.entry("realtime.js", load("realtime.js", "text/javascript; charset=utf-8")),
            Map.entry("app.css", load("app.css", "text/css; charset=utf-8")),
            Map.entry("favicon.svg", load("favicon.svg", "image/svg+xml")));

    private static Asset load(String name, String contentType) {
        try (InputStream in = WebUi.class.getResourceAsStream(BASE + name)) {
            if (in == null) {
                throw new IllegalStateException("the web UI resource " + BASE + name + " is missing from the classpath");
            }
            return new Asset(contentType, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the web UI resource " + BASE + name, e);
        }
    }

    /** {@code GET /}: the page. */
    HttpHandler index() {
        return ex -> send(ex, assets.get("index.html"));
    }

    /** {@code GET /favicon.ico}: the icon, for browsers that ask there before reading the page's link. */
    HttpHandler favicon() {
        return ex -> send(ex, assets.get("favicon.svg"));
    }

    /** {@code GET /ui/{file}}: one of the page's assets, or a JSON 404 like every other unknown path. */
    HttpHandler asset(HttpHandler notFound) {
        return ex -> {
            String file = ex.getQueryParameters().get("file").getFirst();
            Asset a = assets.get(file);
            if (a == null) {
                notFound.handleRequest(ex);
                return;
            }
            send(ex, a);
        };
    }

    private static void send(HttpServerExchange ex, Asset a) {
        ex.setStatusCode(200);
        var h = ex.getResponseHeaders();
        h.put(Headers.CONTENT_TYPE, a.contentType());
        h.put(Headers.CACHE_CONTROL, "no-cache");
        h.put(new HttpString("Content-Security-Policy"), CSP);
        h.put(new HttpString("X-Content-Type-Options"), "nosniff");
        h.put(new HttpString("Referrer-Policy"), "no-referrer");
        ex.setResponseContentLength(a.bytes().length);
        ex.getResponseSender().send(ByteBuffer.wrap(a.bytes()));
    }
}
