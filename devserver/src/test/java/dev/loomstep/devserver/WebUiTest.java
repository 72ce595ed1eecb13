package dev.loomstep.devserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The web UI's files over real HTTP: served from the jar, locked down, and not in the REST API's way. */
@Timeout(30)
class WebUiTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    DevServer dev;
    Api api;

    @BeforeEach
    void start() {
        dev = DevServer.builder().port(0).inMemory().start();
        api = new Api(dev);
    }

    @AfterEach
    void stop() {
        dev.close();
    }

    HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(dev.url() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesThePageAtTheRootWithItsScriptAndStylesheet() throws Exception {
        HttpResponse<String> page = get("/");
        HttpResponse<String> js = get("/ui/runs.js");
        HttpResponse<String> css = get("/ui/app.css");

        assertEquals(200, page.statusCode());
        assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElse(""));
        for (String script : new String[] {"core.js", "runs.js", "run.js", "pages.js"}) {
            assertTrue(page.body().contains("<script src=\"/ui/" + script + "\""), page.body());
            assertEquals(200, get("/ui/" + script).statusCode(), script);
        }
        assertTrue(page.body().contains("href=\"/ui/app.css\""), page.body());
        assertEquals(200, js.statusCode());
        assertEquals("text/javascript; charset=utf-8", js.headers().firstValue("Content-Type").orElse(""));
        assertTrue(js.body().contains("/v1/runs"));
        assertEquals(200, css.statusCode());
        assertEquals("text/css; charset=utf-8", css.headers().firstValue("Content-Type").orElse(""));
    }

    @Test
    void servesAFaviconSoNoPageLogsA404() throws Exception {
        HttpResponse<String> page = get("/");
        assertTrue(page.body().contains("<link rel=\"icon\" href=\"/ui/favicon.svg\""), page.body());
        for (String path : new String[] {"/ui/favicon.svg", "/favicon.ico"}) {
            HttpResponse<String> icon = get(path);
            assertEquals(200, icon.statusCode(), path);
            assertEquals("image/svg+xml", icon.headers().firstValue("Content-Type").orElse(""), path);
            assertTrue(icon.body().startsWith("<svg"), path);
        }
    }

    @Test
    void allowsOnlyItsOwnScriptsAndStyles() throws Exception {
        HttpResponse<String> page = get("/");
        String csp = page.headers().firstValue("Content-Security-Policy").orElse("");

        assertTrue(csp.contains("script-src 'self'"), csp);
        assertFalse(csp.contains("unsafe-inline"), csp);
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
        for (String script : new String[] {"core.js", "runs.js", "run.js", "pages.js"}) {
            assertFalse(get("/ui/" + script).body().contains("innerHTML"), script + " builds the DOM from text, never from HTML strings");
        }
    }

    @Test
    void answersUnknownAssetsAndPathsWithTheApisJsonError() throws Exception {
        for (String path : new String[] {"/ui/nope.js", "/ui/..%2Fapi%2FHttpApi.class", "/ui/", "/index.html"}) {
            Api.Response r = api.request("GET", path, null);
            assertEquals(404, r.status(), path);
            assertEquals(404, r.json().get("status").asInt(), path);
        }
        Api.Response post = api.request("POST", "/", "{}");
        assertEquals(405, post.status());
    }

    @Test
    void leavesTheRestApiWhereItWas() {
        assertEquals(200, api.get("/health").get("status").asInt());
        assertEquals(0, api.get("/v1/runs").get("data").size());
        assertEquals(0, api.get("/v1/apps").get("data").size());
        assertEquals(404, api.request("GET", "/v1/runs/nope", null).status());
    }
}
