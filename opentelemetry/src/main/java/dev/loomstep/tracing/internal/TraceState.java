package dev.loomstep.tracing.internal;

import java.util.HashMap;
import java.util.Map;

/** The entries of a W3C {@code tracestate} header the executor fills for the SDK to parrot back. */
final class TraceState {
    static final String APP = "inngest@app";
    static final String FUNCTION = "inngest@fn";
    static final String TRACEREF = "inngest@traceref";

    private TraceState() {}

    /** {@code key=value} list members by key; a malformed member is skipped. */
    static Map<String, String> parse(String header) {
        var out = new HashMap<String, String>();
        if (header == null) {
            return out;
        }
        for (String member : header.split(",")) {
            int eq = member.indexOf('=');
            if (eq > 0) {
                out.put(member.substring(0, eq).trim(), member.substring(eq + 1).trim());
            }
        }
        return out;
    }
}
