package dev.loomstep.devserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * JSON in its canonical form (RFC 8785: object keys sorted by UTF-16 code units, no whitespace, strings
 * and numbers as ECMAScript writes them), the form signed request bodies are sent in. An SDK may check
 * the signature over the bytes it received (Loomstep, Go) or over the canonical form of the body its web
 * framework already parsed (the JS SDK behind {@code express.json()}); canonical bytes satisfy both.
 */
public final class CanonicalJson {
    private CanonicalJson() {}

    public static byte[] bytes(JsonNode node) {
        StringBuilder sb = new StringBuilder();
        write(node, sb);
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void write(JsonNode n, StringBuilder sb) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            sb.append("null");
        } else if (n.isObject()) {
            List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(n.properties());
            fields.sort(Map.Entry.comparingByKey());
            sb.append('{');
            for (int i = 0; i < fields.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                string(fields.get(i).getKey(), sb);
                sb.append(':');
                write(fields.get(i).getValue(), sb);
            }
            sb.append('}');
        } else if (n.isArray()) {
            sb.append('[');
            for (int i = 0; i < n.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                write(n.get(i), sb);
            }
            sb.append(']');
        } else if (n.isTextual()) {
            string(n.textValue(), sb);
        } else if (n.isBoolean()) {
            sb.append(n.booleanValue());
        } else if (n.isIntegralNumber() && n.canConvertToLong() && Math.abs(n.longValue()) < (1L << 53)) {
            sb.append(n.longValue());
        } else if (n.isNumber()) {
            sb.append(number(n.doubleValue()));
        } else {
            string(n.asText(), sb); // binary and POJO nodes do not occur in call requests
        }
    }

    /** A double as ECMAScript's Number.prototype.toString writes it (the shortest digits that read back the same). */
    static String number(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return "null"; // as JSON.stringify
        }
        if (d == 0) {
            return "0";
        }
        BigDecimal v = new BigDecimal(Double.toString(d)).stripTrailingZeros(); // Double.toString: shortest round-trip digits
        double abs = Math.abs(d);
        if (abs >= 1e-6 && abs < 1e21) {
            return v.toPlainString();
        }
        String digits = v.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - v.scale();
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return (d < 0 ? "-" : "") + mantissa + "e" + (exponent >= 0 ? "+" : "") + exponent;
    }

    /** A string as JSON.stringify escapes it: quotes, backslash and control characters only. */
    private static void string(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || Character.isSurrogate(c) && !pairedAt(s, i)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static boolean pairedAt(String s, int i) {
        char c = s.charAt(i);
        return Character.isHighSurrogate(c) ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
