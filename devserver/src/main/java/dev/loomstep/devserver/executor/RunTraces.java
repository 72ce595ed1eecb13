package dev.loomstep.devserver.executor;

import dev.loomstep.devserver.store.FunctionRecord;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.Store;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The trace a run's calls belong to, sent with every call as Inngest's executor sends it: a W3C
 * {@code traceparent} (the SDK's spans for the call are its children) and a {@code tracestate} naming the
 * app, the function and the run ({@code inngest@app}, {@code inngest@fn}, {@code inngest@traceref}), which
 * an SDK with extended traces parrots back on the spans it sends to {@code /v1/traces/userland}.
 *
 * <p>A run started by an event sent with a {@code traceparent} is in the sender's trace, under the sender's
 * span; an invoked run is in the trace of the run that invoked it; any other run has a trace of its own,
 * its id derived from the run's. Nothing is stored per run: it follows from the event and the invoker,
 * and is cached while runs are in flight.
 */
public final class RunTraces {
    private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");
    private static final String ZERO_TRACE = "0".repeat(32);
    private static final String ZERO_SPAN = "0".repeat(16);
    private static final int CACHED = 4096;
    private static final int MAX_INVOKE_DEPTH = 32;

    private final Store store;
    private final Registry registry;
    private final Map<String, String> traceparents = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > CACHED;
        }
    };
    private final Map<String, List<Map.Entry<String, String>>> headers = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<Map.Entry<String, String>>> eldest) {
            return size() > CACHED;
        }
    };

    public RunTraces(Store store, Registry registry) {
        this.store = store;
        this.registry = registry;
    }

    /** {@code value} when it is a W3C traceparent of version 00 with non-zero ids, else null (ignored, as W3C says). */
    public static String validTraceparent(String value) {
        if (value == null) {
            return null;
        }
        var m = TRACEPARENT.matcher(value.trim());
        return m.matches() && !m.group(1).equals(ZERO_TRACE) && !m.group(2).equals(ZERO_SPAN) ? value.trim() : null;
    }

    /** The trace id of a {@link #validTraceparent valid} traceparent. */
    public static String traceId(String traceparent) {
        return traceparent.substring(3, 35);
    }

    /**
     * The {@code traceparent} and {@code tracestate} headers of a call of {@code runId}; {@code fnUuid} is the
     * function's id as the call's {@code ctx.fn_id} gives it (Inngest's executor names its function UUID there).
     * Worked out at the run's first call and cached: a call costs no read of its own.
     */
    public List<Map.Entry<String, String>> headers(String runId, String fnUuid) {
        synchronized (headers) {
            List<Map.Entry<String, String>> known = headers.get(runId);
            if (known != null) {
                return known;
            }
        }
        StringBuilder state = new StringBuilder();
        Optional<RunRecord> run = store.run(runId);
        String appId = run.map(r -> registry.function(r.functionId())).map(FunctionRecord::appId).orElse(null);
        if (appId != null) {
            state.append("inngest@app=").append(encode(appId)).append(',');
        }
        if (fnUuid != null) {
            state.append("inngest@fn=").append(encode(fnUuid)).append(',');
        }
        state.append("inngest@traceref=").append(encode("{\"run_id\":\"" + runId + "\"}"));
        var out = List.of(Map.entry("traceparent", traceparent(runId, 0)), Map.entry("tracestate", state.toString()));
        if (run.isPresent()) {
            synchronized (headers) {
                headers.put(runId, out);
            }
        }
        return out;
    }

    /** The traceparent every call of the run carries. */
    public String traceparent(String runId, int depth) {
        synchronized (traceparents) {
            String known = traceparents.get(runId);
            if (known != null) {
                return known;
            }
        }
        Optional<RunRecord> run = store.run(runId);
        String parent = null;
        if (run.isPresent() && run.get().invoker() != null && depth < MAX_INVOKE_DEPTH) {
            String invoker = run.get().invoker();
            int dot = invoker.indexOf('.');
            parent = traceparent(dot < 0 ? invoker : invoker.substring(0, dot), depth + 1);
        } else if (run.isPresent() && run.get().eventId() != null) {
            parent = store.eventTrace(run.get().eventId()).orElse(null);
        }
        String traceparent = parent != null ? parent.substring(0, 52) + "-01"
                : "00-" + hex(digest("trace:" + runId), 16) + "-" + hex(digest("run:" + runId), 8) + "-01";
        if (run.isPresent()) {
            synchronized (traceparents) {
                traceparents.put(runId, traceparent);
            }
        }
        return traceparent;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static byte[] digest(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    private static String hex(byte[] bytes, int n) {
        return HexFormat.of().formatHex(bytes, 0, n);
    }
}
