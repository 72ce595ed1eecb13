package dev.loomstep.testkit;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Executor call-request bodies shared by the tests that compare Loomstep with the official JS SDK (the
 * engine in-process, the HTTP adapter over the wire). Each body is a JSON file under
 * {@code dev/loomstep/testkit/fixtures/}; {@code cases.json} lists them with the function and step
 * each is sent to. The functions are those of app {@code peer} ({@code testkit/js-peer/server.js} and
 * its Java twins).
 */
public final class Fixtures {
    private static final String ROOT = "/dev/loomstep/testkit/fixtures/";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final List<Case> CASES = loadCases();

    private Fixtures() {}

    /**
     * One call request: the body {@code name}.json sent to function {@code fn} of app {@code peer}.
     *
     * @param step  {@code "step"} for a discovery call, else the user's step id (as hashed: {@code "a:1"}
     *              for the first repeat of {@code "a"}) that the request targets
     * @param about what the request shows, in one sentence
     */
    public record Case(String name, String fn, String step, String about) {
        /** The composite function id for the {@code fnId} query parameter. */
        public String fnId(String appId) {
            return appId + "-" + fn;
        }

        /** The {@code stepId} query parameter: {@code "step"} or the SHA-1 of the targeted step id. */
        public String stepId() {
            return "step".equals(step) ? "step" : sha1Hex(step);
        }

        public String body() {
            return Fixtures.body(name);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Every case of {@code cases.json}, in file order. */
    public static List<Case> cases() {
        return CASES;
    }

    /** The case named {@code name}. */
    public static Case get(String name) {
        return CASES.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no fixture case named \"" + name + "\" in cases.json"));
    }

    /** The body of fixture {@code name} (e.g. {@code "seq/empty"}) as JSON text. */
    public static String body(String name) {
        try (InputStream in = open(name + ".json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixture " + name + ": " + e.getMessage(), e);
        }
    }

    /** The body of fixture {@code name} as a JSON tree. */
    public static JsonNode tree(String name) {
        try {
            return MAPPER.readTree(body(name));
        } catch (IOException e) {
            throw new UncheckedIOException("fixture " + name + " is not JSON: " + e.getMessage(), e);
        }
    }

    /** Hex SHA-1 of a step id, as the Inngest protocol hashes step ids. */
    public static String sha1Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
    }

    private static InputStream open(String file) {
        InputStream in = Fixtures.class.getResourceAsStream(ROOT + file);
        if (in == null) {
            throw new IllegalArgumentException("no fixture " + ROOT + file + " on the classpath (testkit resources)");
        }
        return in;
    }

    private static List<Case> loadCases() {
        try (InputStream in = open("cases.json")) {
            return List.copyOf(MAPPER.readValue(in, new TypeReference<List<Case>>() {}));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixtures/cases.json: " + e.getMessage(), e);
        }
    }
}
