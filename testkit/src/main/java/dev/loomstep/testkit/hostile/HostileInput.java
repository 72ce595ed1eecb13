package dev.loomstep.testkit.hostile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The generated hostile-input corpus both endpoint modules run against their servers: bodies that are
 * not JSON (truncated, trailing content, bad UTF-8, nesting past every limit, unterminated huge strings,
 * random bytes, JSON5-isms), JSON whose fields have the wrong type, path segments and query values no
 * route takes, and content types nobody sends. Every value is invalid by construction, so a server must
 * refuse each one.
 */
public final class HostileInput {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private HostileInput() {}

    /** One request to send with {@link RawHttp}. */
    public record Request(String method, String target, Map<String, String> headers, byte[] body) {
        public byte[] targetBytes() {
            return target.getBytes(StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString() {
            String b = new String(body, 0, Math.min(body.length, 700), StandardCharsets.ISO_8859_1);
            return method + " " + abbreviate(target) + " " + headers + " body(" + body.length + " bytes): " + b.replaceAll("\\p{Cntrl}", "?");
        }

        private static String abbreviate(String s) {
            return s.length() <= 200 ? s : s.substring(0, 200) + "…(" + s.length() + " chars)";
        }
    }

    /** A JSON request body of {@code type} (the usual content type, or one of the wrong ones). */
    public static Gen<Request> post(String method, String target, Gen<byte[]> bodies) {
        return Gen.combine(bodies, contentTypes(), (b, ct) -> new Request(method, target, ct, b));
    }

    /** Bodies that are not exactly one JSON value; {@code template} is a valid body of the endpoint. */
    public static Gen<byte[]> malformedJson(String template) {
        byte[] t = template.getBytes(StandardCharsets.UTF_8);
        return Gen.oneOf(
                Gen.ints(1, t.length - 1).map(n -> Arrays.copyOf(t, n)),
                Gen.of(" xyz", "}", " {}", "{\"name\":\"x\"}", ",", "]", "\u0000").map(tail -> concat(t, tail.getBytes(StandardCharsets.UTF_8))),
                Gen.of(new byte[] {(byte) 0xC3, 0x28}, new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                                new byte[] {(byte) 0xF0, (byte) 0x9F}, new byte[] {(byte) 0x80})
                        .map(bad -> concat(concat("{\"name\":\"a".getBytes(StandardCharsets.UTF_8), bad), "\",\"data\":{}}".getBytes(StandardCharsets.UTF_8))),
                Gen.ints(1_001, 100_000).map(n -> ("[".repeat(n) + "]".repeat(n)).getBytes(StandardCharsets.UTF_8)),
                Gen.ints(1_001, 20_000).map(n -> ("{\"data\":" + "{\"a\":".repeat(n) + "1" + "}".repeat(n + 1)).getBytes(StandardCharsets.UTF_8)),
                Gen.ints(100_000, 4_000_000).map(n -> ("{\"name\":\"" + "a".repeat(n)).getBytes(StandardCharsets.UTF_8)),
                Gen.bytes(1, 2_000).filter(HostileInput::notJson),
                Gen.of("{'name':'x'}", "{\"name\":\"x\",}", "{\"name\":NaN}", "{name:\"x\"}", "{\"name\":\"x\" /* c */}",
                        "{\"name\":\"a\u0001b\"}", "{\"ts\":01}", "[1,2", "\"", "nul", "tru", "{\"a\" \"b\"}",
                        "{\"name\":\"\\uD800\\u\"}").map(s -> s.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * {@code template} (a valid body) with one of {@code fields} replaced by a value of another JSON type
     * than {@code kinds} allows, or removed when the field is required ({@code kinds} without "missing").
     * Keys are dotted paths into objects and arrays ({@code functions.0.id}).
     */
    public static Gen<byte[]> mistyped(String template, Map<String, String> fields) {
        List<String> keys = List.copyOf(fields.keySet());
        return Gen.combine(Gen.of(keys), anyJson(), (key, value) -> {
                    String allowed = fields.get(key);
                    return allowedBy(allowed, value) ? null : replace(template, key, value);
                })
                .filter(b -> b != null);
    }

    /** True when {@code value} is of a kind in {@code allowed} (comma-separated: string, nonblank, number, integer, object, array, boolean, null, url). */
    static boolean allowedBy(String allowed, JsonNode value) {
        for (String k : allowed.split(",")) {
            boolean ok = switch (k.trim()) {
                case "string" -> value != null && value.isTextual();
                case "nonblank" -> value != null && value.isTextual() && !value.asText().isBlank();
                case "url" -> value != null && value.isTextual() && (value.asText().startsWith("http://") || value.asText().startsWith("https://"));
                case "number" -> value != null && value.isNumber();
                case "integer" -> value != null && value.isIntegralNumber() && value.canConvertToLong();
                case "object" -> value != null && value.isObject();
                case "array" -> value != null && value.isArray();
                case "boolean" -> value != null && value.isBoolean();
                case "null" -> value != null && value.isNull();
                case "missing" -> value == null;
                default -> throw new IllegalArgumentException("unknown kind " + k);
            };
            if (ok) {
                return true;
            }
        }
        return false;
    }

    private static byte[] replace(String template, String path, JsonNode value) {
        try {
            JsonNode root = JSON.readTree(template);
            String[] parts = path.split("\\.");
            JsonNode parent = root;
            for (int i = 0; i < parts.length - 1; i++) {
                parent = parent.isArray() ? parent.get(Integer.parseInt(parts[i])) : parent.get(parts[i]);
            }
            String last = parts[parts.length - 1];
            if (parent instanceof ObjectNode o) {
                if (value == null) {
                    o.remove(last);
                } else {
                    o.set(last, value);
                }
            } else if (parent instanceof com.fasterxml.jackson.databind.node.ArrayNode a) {
                int i = Integer.parseInt(last);
                if (value == null) {
                    a.remove(i);
                } else {
                    a.set(i, value);
                }
            }
            return JSON.writeValueAsBytes(root);
        } catch (Exception e) {
            throw new IllegalStateException("bad template " + template, e);
        }
    }

    /** Any JSON value, or null for "the field is missing": every type, empty and blank strings, huge ones, big numbers, nesting. */
    public static Gen<JsonNode> anyJson() {
        return Gen.oneOf(
                Gen.just((JsonNode) null),
                Gen.just((JsonNode) NODES.nullNode()),
                Gen.of(true, false).map(b -> (JsonNode) NODES.booleanNode(b)),
                Gen.longs().map(l -> (JsonNode) NODES.numberNode(l)),
                Gen.of(0.5, -1.0, 1e300, -0.0).map(d -> (JsonNode) NODES.numberNode(d)),
                Gen.of("99999999999999999999999999", "-1e400").map(n -> (JsonNode) NODES.numberNode(new java.math.BigDecimal(n))),
                Gen.of("", " ", "\t\n", "ftp://x", "not a url", "http://", "\u0000", "\uFFFF", "💥", "null", "{}", "inngest/function.failed")
                        .map(s -> (JsonNode) NODES.textNode(s)),
                Gen.strings(64).map(s -> (JsonNode) NODES.textNode(s)),
                Gen.ints(100_000, 2_000_000).map(n -> (JsonNode) NODES.textNode("x".repeat(n))),
                Gen.ints(0, 5).map(n -> {
                    var a = NODES.arrayNode();
                    for (int i = 0; i < n; i++) {
                        a.add(i);
                    }
                    return (JsonNode) a;
                }),
                Gen.ints(1, 200).map(HostileInput::nested),
                Gen.just((JsonNode) NODES.objectNode()),
                Gen.just((JsonNode) NODES.objectNode().put("a", 1).putNull("b")));
    }

    private static JsonNode nested(int depth) {
        JsonNode n = NODES.arrayNode();
        for (int i = 0; i < depth; i++) {
            n = NODES.arrayNode().add(n);
        }
        return n;
    }

    /** The content type to send: the right one, wrong ones, a malformed one, or none. */
    public static Gen<Map<String, String>> contentTypes() {
        return Gen.of("application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded",
                        "multipart/form-data; boundary=x", "application/json; charset=utf-16", ";;;", "", "none")
                .map(ct -> {
                    Map<String, String> h = new LinkedHashMap<>();
                    if (!ct.equals("none")) {
                        h.put("Content-Type", ct);
                    }
                    return h;
                });
    }

    /**
     * A path segment no route has a resource for: unknown ids, bad percent escapes, encoded slashes and
     * NULs, traversal, very long, non-ASCII (percent-encoded UTF-8 and raw bytes).
     */
    public static Gen<String> hostileSegment() {
        return Gen.oneOf(
                Gen.of("%FF", "%C3%28", "%00", "%2F", "..", "%2e%2e", "%", "%zz", "%E2%82", "a%20b", "%0D%0AX-Injected:%201",
                        "%F0%9F%92%A5", "\u00e9", "%7B%7D", "00000000000000000000000000", "-1", "null", "undefined", "%5B%5D"),
                Gen.strings("abcXYZ019-_.~", 1, 40),
                Gen.ints(2_000, 7_000).map("a"::repeat));
    }

    /** A query value that is not a number, a time, a cursor or anything a parameter takes. */
    public static Gen<String> hostileQueryValue() {
        return Gen.oneOf(
                Gen.of("-1", "0", "abc", "1e3", "99999999999999999999", "%FF", "%00", "2026-13-45T99:00:00Z", "1.x", "99999999999999999999.a",
                        ".", "x.", "Runningx", "Running,", "5h", "10000001", "NaN", "%E2%82"),
                Gen.ints(1_000, 6_000).map("9"::repeat));
    }

    /** A method no route of the given path takes (standard and made up). */
    public static Gen<String> method(String... allowed) {
        List<String> ok = List.of(allowed);
        return Gen.of("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO", "CONNECT").filter(m -> !ok.contains(m));
    }

    private static boolean notJson(byte[] b) {
        try {
            JSON.readTree(b);
            return false;
        } catch (Exception e) {
            return true;
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
