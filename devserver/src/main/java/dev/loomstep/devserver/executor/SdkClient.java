package dev.loomstep.devserver.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.loomstep.devserver.auth.CanonicalJson;
import dev.loomstep.devserver.auth.ServiceKeys;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.Op;
import dev.loomstep.protocol.WireError;
import dev.loomstep.protocol.WireOp;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes call requests to SDK endpoints and classifies the answers the way the Inngest executor does:
 * 2xx → done, 206 → ops, an error with {@code X-Inngest-No-Retry: true} → failed, anything else
 * (5xx, 4xx without No-Retry, timeouts, connection errors, bodies that are not the protocol) → retry. A
 * streamed answer (201 and an envelope: {@link StreamedAnswer}) is classified by the answer it holds.
 */
public final class SdkClient implements AutoCloseable {
    /** Execution version sent until the SDK has said which one it uses: "the SDK decides". */
    public static final int VERSION_UNKNOWN = -1;
    private static final String USER_AGENT = "loomstep-devserver/" + dev.loomstep.Loomstep.VERSION;
    private static final ObjectReader WIRE_OP = Json.mapper().readerFor(WireOp.class);
    private static final ObjectReader WIRE_ERROR = Json.mapper().readerFor(WireError.class);
    /** Headers the Inngest executor sends with each call; SDKs echo them in their checkpoints. */
    static final String REQUEST_ID = "X-Request-Id";
    static final String GENERATION_ID = "X-Inngest-Generation-Id";

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SdkClient.class);

    private final SdkHttp http;
    private final Duration callTimeout;
    private final AppHealth health = new AppHealth();
    /** Production mode: signs each call ({@code X-Inngest-Signature}), as SDKs in cloud mode ask; null in dev mode. */
    private final ServiceKeys keys;
    private final String serverKind;
    /** The trace headers of each call (null: none sent); set once while wiring, before any call. */
    private volatile RunTraces traces;

    /** How long a call may take; requests the executor makes for SDKs (step.fetch, ai.infer) get as long. */
    public Duration callTimeout() {
        return callTimeout;
    }

    public SdkClient(Duration callTimeout) {
        this(callTimeout, null);
    }

    /** @param keys production mode's keys: every call is signed and says it comes from a "cloud" server; null for dev mode */
    public SdkClient(Duration callTimeout, ServiceKeys keys) {
        this.keys = keys;
        this.serverKind = keys == null ? "dev" : "cloud";
        this.callTimeout = callTimeout;
        this.http = new SdkHttp(Duration.ofSeconds(10), callTimeout);
    }

    /** Sends each call's {@code traceparent} and {@code tracestate} as {@code traces} says (see {@link RunTraces}). */
    public void traces(RunTraces traces) {
        this.traces = traces;
    }

    /** Aborts calls in flight and closes the connections. */
    @Override
    public void close() {
        http.close();
    }

    /**
     * An answer, the execution version the SDK reported ({@code X-Inngest-Req-Version}) if any, and the size
     * of the answer's body (which bounds the step outputs in it).
     */
    public record Reply(SdkAnswer answer, Integer requestVersion, long bodyBytes) {
        public Reply(SdkAnswer answer, Integer requestVersion) {
            this(answer, requestVersion, 0);
        }
    }

    /** POSTs {@code request} to {@code url}, without checkpointing headers. */
    public Reply call(String url, CallRequest request, int requestVersion) throws InterruptedException {
        return call(url, request, requestVersion, null);
    }

    /**
     * POSTs a call request to {@code url}; with a dispatch, also sends the headers Inngest sends with every
     * call so that the SDK may checkpoint: the request id and the generation id ({@code ctx.fn_id} and
     * {@code ctx.qi_id} are in the request already). Blocks (call from a virtual thread).
     *
     * @throws InterruptedException when the devserver is shutting down
     */
    public Reply call(String url, CallRequest request, int requestVersion, Dispatches.Dispatch dispatch) throws InterruptedException {
        return call(url, Json.toBytes(request), requestVersion, dispatch);
    }

    /** As {@link #call(String, CallRequest, int, Dispatches.Dispatch)}, with the request already encoded. */
    public Reply call(String url, byte[] request, int requestVersion, Dispatches.Dispatch dispatch) throws InterruptedException {
        SdkHttp.Response response;
        try {
            var headers = new ArrayList<Map.Entry<String, String>>(7);
            headers.add(Map.entry("Content-Type", "application/json"));
            headers.add(Map.entry("User-Agent", USER_AGENT));
            headers.add(Map.entry(Headers.SERVER_KIND, serverKind));
            headers.add(Map.entry(Headers.REQ_VERSION, Integer.toString(requestVersion)));
            if (dispatch != null) {
                headers.add(Map.entry(REQUEST_ID, dispatch.requestId()));
                headers.add(Map.entry(GENERATION_ID, Long.toString(dispatch.generation())));
                RunTraces t = traces;
                if (t != null) {
                    headers.addAll(t.headers(dispatch.runId(), dispatch.fnId()));
                }
            }
            byte[] body = request;
            if (keys != null) {
                // Canonical, so that an SDK checking the signature over its framework's parsed body agrees too.
                body = CanonicalJson.bytes(Json.mapper().readTree(request));
                headers.add(Map.entry(Headers.SIGNATURE, keys.sign(body, Instant.now().getEpochSecond())));
            }
            response = http.post(URI.create(url), headers, body);
        } catch (SocketTimeoutException e) { // Apache's ConnectTimeoutException too
            if (Thread.interrupted()) {
                throw new InterruptedException("the devserver is shutting down");
            }
            return new Reply(new SdkAnswer.Retry(WireError.of("TimeoutError",
                    "the SDK at " + url + " did not answer within " + callTimeout.toSeconds() + " s"), null), null);
        } catch (IOException | IllegalArgumentException e) {
            if (Thread.interrupted()) {
                // A virtual thread interrupted in a socket read sees the socket closed: that is a shutdown.
                throw new InterruptedException("the devserver is shutting down");
            }
            WireError error = WireError.of("ConnectionError", "could not reach the SDK at " + url + ": " + describe(e));
            return new Reply(new SdkAnswer.Unanswered(error), null);
        }
        if (response.status() == StreamedAnswer.STATUS) {
            try {
                response = StreamedAnswer.unwrap(response);
            } catch (IllegalArgumentException e) {
                return new Reply(new SdkAnswer.Retry(WireError.of("InvalidResponse", "the SDK streamed an answer " + e.getMessage()),
                        null), parseVersion(response.header(Headers.REQ_VERSION)), response.body().length);
            }
        }
        SdkAnswer answer = classify(response.status(), response.body(),
                response.header(Headers.NO_RETRY), response.header(Headers.RETRY_AFTER));
        String misconfigured = misconfiguration(url, response.status(), answer);
        if (misconfigured != null) {
            health.refused(url, misconfigured, Instant.now());
            answer = new SdkAnswer.Failed(WireError.of("ConfigurationError", misconfigured));
        } else if (!(answer instanceof SdkAnswer.Retry)) {
            health.answered(url);
        }
        return new Reply(answer, parseVersion(response.header(Headers.REQ_VERSION)), response.body().length);
    }

    /**
     * Asks a freshly synced app how it is configured ({@code GET} on its URL, signed in production mode, as
     * Inngest's introspection request) so that an app that will refuse every call shows failing on the apps
     * list from its sync on, not from its first run: a cloud-mode app with no signing key, one holding
     * another key than this devserver's, one in cloud mode synced with a devserver in dev mode. Runs on a
     * virtual thread of its own; an app that does not answer is left alone (its calls will tell).
     */
    public void inspectAfterSync(String url) {
        Thread.ofVirtual().name("loomstep-dev-inspect").start(() -> {
            try {
                var headers = new ArrayList<Map.Entry<String, String>>(4);
                headers.add(Map.entry("User-Agent", USER_AGENT));
                headers.add(Map.entry(Headers.SERVER_KIND, serverKind));
                if (keys != null) {
                    headers.add(Map.entry(Headers.SIGNATURE, keys.sign(new byte[0], Instant.now().getEpochSecond())));
                }
                SdkHttp.Response response = http.get(URI.create(url), headers);
                String problem = introspectionProblem(url, response.status(), response.body(),
                        response.header(Headers.NO_RETRY), response.header(Headers.RETRY_AFTER));
                if (problem != null) {
                    health.refused(url, problem, Instant.now());
                } else if (response.status() == 200) {
                    health.answered(url);
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("could not inspect the app at {} after its sync: {}", url, e.toString());
            }
        });
    }

    /** What an app's introspection answer says will make it refuse every call, in one line; null when nothing. */
    String introspectionProblem(String url, int status, byte[] body, String noRetry, String retryAfter) {
        if (status != 200) {
            return misconfiguration(url, status, classify(status, body, noRetry, retryAfter));
        }
        JsonNode o;
        try {
            o = Json.mapper().readTree(body);
        } catch (IOException e) {
            return null;
        }
        if (o == null || !o.isObject()) {
            return null;
        }
        String app = AppHealth.key(url);
        if ("cloud".equals(o.path("mode").asText()) && o.path("has_signing_key").isBoolean() && !o.path("has_signing_key").asBoolean()) {
            return "the app at " + app + " is in cloud mode with no signing key, so it will refuse every call: set its"
                    + " INNGEST_SIGNING_KEY" + (keys == null ? ", or run it in dev mode (INNGEST_DEV=1)" : " to this devserver's --signing-key");
        }
        JsonNode auth = o.path("extra").path("authentication_succeeded");
        if (keys != null && auth.isBoolean() && !auth.asBoolean()) {
            return "the app at " + app + " did not accept this devserver's signature on its introspection request: set the app's"
                    + " INNGEST_SIGNING_KEY (or INNGEST_SIGNING_KEY_FALLBACK) to this devserver's --signing-key";
        }
        return null;
    }

    /** The apps whose calls are refused for a reason a retry cannot heal. */
    public AppHealth health() {
        return health;
    }

    /**
     * Why the app refused the call for good, in one line with what to do, or null: a 401/403 (the app did
     * not accept this devserver's signature, or the lack of one) and a 500 saying the app has no signing key
     * are configuration errors; retrying them would only burn the run's attempts.
     */
    private String misconfiguration(String url, int status, SdkAnswer answer) {
        if (!(answer instanceof SdkAnswer.Retry || answer instanceof SdkAnswer.Failed)) {
            return null;
        }
        WireError error = answer instanceof SdkAnswer.Retry r ? r.error() : ((SdkAnswer.Failed) answer).error();
        String said = error == null || error.message() == null ? "HTTP " + status : error.message();
        String app = AppHealth.key(url);
        if (status == 401 || status == 403) {
            return keys == null
                    ? "the app at " + app + " refused this devserver's unsigned call (" + status + ": " + said + "): the app is in"
                            + " cloud mode; run it in dev mode (INNGEST_DEV=1) or start the devserver with --signing-key set to the"
                            + " app's INNGEST_SIGNING_KEY"
                    : "the app at " + app + " refused this devserver's signature (" + status + ": " + said + "): set the app's"
                            + " INNGEST_SIGNING_KEY (or INNGEST_SIGNING_KEY_FALLBACK) to this devserver's --signing-key";
        }
        if (status == 500 && said.toLowerCase(java.util.Locale.ROOT).contains("no signing key")) {
            return "the app at " + app + " has no signing key, so it refuses every call (" + said + "): set its"
                    + " INNGEST_SIGNING_KEY" + (keys == null ? ", or run it in dev mode (INNGEST_DEV=1)" : " to this devserver's --signing-key");
        }
        return null;
    }

    /** Classifies one HTTP answer; public for unit tests of every shape. */
    public static SdkAnswer classify(int status, byte[] body, String noRetryHeader, String retryAfterHeader) {
        boolean noRetry = "true".equalsIgnoreCase(noRetryHeader == null ? null : noRetryHeader.trim());
        Duration retryAfter = parseRetryAfter(retryAfterHeader, Instant.now());
        if (status == 206) {
            List<Op> ops;
            Map<String, StepTiming> timings = new HashMap<>();
            Map<String, JsonNode> metadata = new HashMap<>();
            List<String> raced = new ArrayList<>();
            try {
                ops = parseOps(body, timings, metadata, raced);
            } catch (IllegalArgumentException e) {
                return new SdkAnswer.Retry(WireError.of("InvalidResponse", "the SDK answered 206 " + e.getMessage()), retryAfter);
            }
            return new SdkAnswer.Ops(ops, noRetry && retryAfter == null, retryAfter, timings, metadata, raced);
        }
        if (status >= 200 && status < 300) {
            if (body.length == 0 || new String(body, StandardCharsets.UTF_8).isBlank()) {
                return new SdkAnswer.Done(Json.nodes().nullNode());
            }
            try {
                return new SdkAnswer.Done(Json.mapper().readTree(body));
            } catch (IOException e) {
                return new SdkAnswer.Retry(WireError.of("InvalidResponse",
                        "the SDK answered " + status + " with a body that is not JSON: " + snippet(body)), retryAfter);
            }
        }
        WireError error = parseError(status, body);
        if (noRetry && retryAfter == null) {
            return new SdkAnswer.Failed(error);
        }
        return new SdkAnswer.Retry(error, retryAfter);
    }

    /** The ops of a 206 answer; throws with the reason (to follow "the SDK answered 206 ") when they are not. */
    private static List<Op> parseOps(byte[] body, Map<String, StepTiming> timings, Map<String, JsonNode> metadata,
                                     List<String> raced) {
        JsonNode tree;
        try {
            tree = Json.mapper().readTree(body);
        } catch (IOException e) {
            tree = null;
        }
        var nodes = new ArrayList<JsonNode>();
        if (tree != null && tree.isArray()) {
            tree.forEach(nodes::add);
        } else if (tree != null && tree.isObject() && tree.has("op")) {
            nodes.add(tree); // a lone op object: accepted, as Inngest does
        }
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("without a JSON array of ops: " + snippet(body));
        }
        var ops = new ArrayList<Op>();
        for (JsonNode n : nodes) {
            WireOp w;
            try {
                w = n.isObject() ? WIRE_OP.readValue(n) : null;
            } catch (IOException | RuntimeException e) {
                w = null;
            }
            if (w == null || w.op() == null || w.op().isBlank()) {
                throw new IllegalArgumentException("with something that is not an op: " + snippet(Json.toBytes(n)));
            }
            Op op;
            try {
                // A step's name is its displayName, else its name, as Inngest shows it (inngestgo sends only
                // name; JS sends both, with the sleep's duration or the awaited event in name).
                op = Op.fromWire(w.displayName() == null && w.name() != null
                        ? new WireOp(w.id(), w.op(), w.name(), w.name(), w.opts(), w.data(), w.error()) : w);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("with an op " + w.op() + " it could not read: " + snippet(Json.toBytes(n)));
            }
            if (!(op instanceof Op.RunComplete || op instanceof Op.Other) && (w.id() == null || w.id().isBlank())) {
                throw new IllegalArgumentException("with a " + w.op() + " op without an id: " + snippet(Json.toBytes(n)));
            }
            ops.add(op);
            StepTiming timing = StepTiming.of(n);
            if (timing != null && w.id() != null) {
                timings.put(w.id(), timing);
            }
            if (n.path("metadata").isArray() && w.id() != null) {
                metadata.put(w.id(), n.get("metadata"));
            }
            if (w.id() != null && "race".equals(n.path("opts").path("parallelMode").asText(null))) {
                raced.add(w.id());
            }
        }
        return ops;
    }

    private static WireError parseError(int status, byte[] body) {
        try {
            JsonNode tree = Json.mapper().readTree(body);
            if (tree != null && tree.isObject() && (tree.hasNonNull("message") || tree.hasNonNull("name"))) {
                return WIRE_ERROR.readValue(tree);
            }
            if (tree != null && tree.isObject() && tree.hasNonNull("error")) {
                JsonNode e = tree.get("error");
                return e.isObject() ? WIRE_ERROR.readValue(e) : WireError.of("Error", e.asText());
            }
        } catch (IOException | RuntimeException ignored) {
            // not JSON: described below
        }
        return WireError.of("Error", "the SDK answered HTTP " + status + (body.length == 0 ? "" : ": " + snippet(body)));
    }

    /** Retry-After as seconds, an RFC 3339 instant or an HTTP date; null when absent or unreadable. */
    static Duration parseRetryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        try {
            return Duration.ofMillis(Math.max(0, Math.round(Double.parseDouble(v) * 1000)));
        } catch (NumberFormatException ignored) {
            // a date
        }
        Instant at = null;
        try {
            at = OffsetDateTime.parse(v).toInstant();
        } catch (DateTimeParseException e) {
            try {
                at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            } catch (DateTimeParseException ignored) {
                return null;
            }
        }
        Duration d = Duration.between(now, at);
        return d.isNegative() ? Duration.ZERO : d;
    }

    private static Integer parseVersion(String header) {
        if (header == null) {
            return null;
        }
        try {
            return Integer.parseInt(header.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The function URL with {@code stepId} set (replacing the one the SDK registered). */
    public static String withStepId(String url, String stepId) {
        int q = url.indexOf('?');
        String base = q < 0 ? url : url.substring(0, q);
        String query = q < 0 ? "" : url.substring(q + 1);
        var kept = new StringBuilder();
        for (String part : query.split("&")) {
            if (part.isEmpty() || part.startsWith("stepId=") || part.equals("stepId")) {
                continue;
            }
            kept.append(kept.isEmpty() ? "" : "&").append(part);
        }
        kept.append(kept.isEmpty() ? "" : "&").append("stepId=").append(URLEncoder.encode(stepId, StandardCharsets.UTF_8));
        return base + "?" + kept;
    }

    private static String snippet(byte[] body) {
        String s = new String(body, StandardCharsets.UTF_8).strip().replaceAll("\\s+", " ");
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.net.ConnectException) {
            return "connection refused (is the app running at that address?)";
        }
        if (e instanceof java.io.EOFException || e instanceof org.apache.hc.core5.http.NoHttpResponseException
                || (m != null && m.contains("received no bytes"))) {
            return "the app closed the connection without answering";
        }
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : " (" + m + ")");
    }
}
