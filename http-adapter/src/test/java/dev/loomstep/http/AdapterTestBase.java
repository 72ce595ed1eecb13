package dev.loomstep.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Loomstep;
import dev.loomstep.http.signing.Signatures;
import dev.loomstep.http.signing.SigningKey;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/** Starts servers for a test and stops them after it; shared assertions on the protocol's headers. */
abstract class AdapterTestBase {
    final TestApps apps = new TestApps();
    private final List<AutoCloseable> open = new ArrayList<>();

    Served serve(Served.Adapter adapter, Loomstep app) {
        return track(Served.start(adapter, app));
    }

    Served serve(Served.Adapter adapter, Loomstep app, ServeOptions options) {
        return track(Served.start(adapter, app, options));
    }

    <T extends AutoCloseable> T track(T closeable) {
        open.add(closeable);
        return closeable;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    static Map<String, String> signed(byte[] body, SigningKey key) {
        return signed(body, key, Instant.now());
    }

    static Map<String, String> signed(byte[] body, SigningKey key, Instant at) {
        return Map.of("X-Inngest-Signature", Signatures.sign(body, key, at));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The headers every trusted answer carries. */
    static void assertProtocolHeaders(TestHttp.Reply reply, Served.Adapter adapter) {
        assertEquals("loomstep:v0.1.0", reply.header("X-Inngest-Sdk"), "X-Inngest-Sdk");
        assertEquals("1", reply.header("X-Inngest-Req-Version"), "X-Inngest-Req-Version");
        assertEquals(adapter.framework(), reply.header("X-Inngest-Framework"), "X-Inngest-Framework");
        assertEquals("true", reply.header("X-Inngest-Sdk-Handled"), "X-Inngest-Sdk-Handled");
        assertTrue(reply.header("Content-Type").startsWith("application/json"), reply.header("Content-Type"));
        assertNotNull(reply.header("Server-Timing"), "Server-Timing");
    }

    /** An answer to an unverified caller in cloud mode: nothing about the SDK behind the URL. */
    static void assertNoIdentityHeaders(TestHttp.Reply reply) {
        for (String h : List.of("X-Inngest-Sdk", "X-Inngest-Req-Version", "X-Inngest-Framework", "X-Inngest-Signature", "X-Inngest-No-Retry")) {
            assertNull(reply.header(h), h + " must not be sent to an unverified caller");
        }
        assertEquals("true", reply.header("X-Inngest-Sdk-Handled"));
    }

    /** A one-line JSON error, {"message": ...}, with no trace of a stack. */
    static String assertOneLineError(TestHttp.Reply reply, int status) {
        assertEquals(status, reply.status(), reply.body());
        assertFalse(reply.body().contains("\n"), "one line: " + reply.body());
        JsonNode json = reply.json();
        assertTrue(json.isObject() && json.size() == 1 && json.path("message").isTextual(), reply.body());
        String message = json.get("message").asText();
        assertFalse(message.isBlank());
        assertFalse(message.contains("\tat ") || message.contains(".java:") || message.contains("dev.loomstep."), "no stack or class names: " + message);
        return message;
    }

    static void assertSignedWith(TestHttp.Reply reply, SigningKey key) {
        String header = reply.header("X-Inngest-Signature");
        assertNotNull(header, "the answer must be signed");
        var v = Signatures.verify(header, reply.bytes(), key, null, Instant.now());
        assertTrue(v instanceof Signatures.Verification.Verified, "answer signature: " + v);
    }
}
