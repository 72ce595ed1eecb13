package dev.loomstep.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Config;
import dev.loomstep.Loomstep;
import dev.loomstep.http.signing.Signatures;
import dev.loomstep.http.signing.Signatures.Verification;
import dev.loomstep.http.signing.SigningKey;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.RawRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Inngest SDK endpoint, independent of any web server: one request in (method, URL, headers, body
 * bytes), one response out. All protocol logic lives here; {@code LoomstepServer} (Undertow) and
 * {@link LoomstepServlet} (Jakarta Servlet) only move bytes, so both behave the same.
 *
 * <ul>
 *   <li>{@code GET}: introspection. Dev mode answers the spec's unauthenticated body; cloud mode
 *       answers the authenticated body to a validly signed request and 401 otherwise (as the official
 *       JS and Go SDKs do).</li>
 *   <li>{@code PUT}: sync. Out of band (POST the app to {@code {apiOrigin}/fn/register}), or in band
 *       when the executor asks with {@code X-Inngest-Sync-Kind: in_band}.</li>
 *   <li>{@code POST}: a call request, run through {@link Loomstep#call}; {@code ?probe=trust} answers
 *       the trust probe.</li>
 * </ul>
 *
 * In cloud mode every request to be trusted must carry a valid {@code X-Inngest-Signature}; trusted
 * responses are signed with the key that verified the request. Every error is a one-line JSON body
 * {@code {"message": "..."}}; no stack trace ever leaves the process.
 *
 * <p>{@link #handle} blocks (it runs the function, or calls the executor to sync): call it on a virtual
 * thread, never on a server's IO thread.
 */
public final class SdkEndpoint {
    /** The execution version Loomstep answers with (spec §4.1.2: MUST be 1; see the module README). */
    public static final String REQ_VERSION = "1";
    /** Marks a response as the SDK's own, as the official SDKs do (so proxies' errors can be told apart). */
    public static final String SDK_HANDLED = "X-Inngest-Sdk-Handled";
    public static final String SYNC_KIND = Registrar.SYNC_KIND;
    public static final String STEP_ID_HEADER = "X-Inngest-Step-Id";

    private static final Logger log = LoggerFactory.getLogger(SdkEndpoint.class);
    /** Where the last successful out-of-band sync came from and went to (its URL and the executor), for its log line. */
    private final java.util.concurrent.atomic.AtomicReference<String> lastSync = new java.util.concurrent.atomic.AtomicReference<>();
    /** Both ways out of cloud mode without a key, in the startup warning and in every refusal. */
    static final String MISSING_KEY_FIX = "for local development choose dev mode with INNGEST_DEV=1 in the environment or "
            + "Loomstep.builder(..).dev(null) (a dev server at http://localhost:8288; pass another URL to .dev(..)); "
            + "for Inngest Cloud or a self-hosted server set INNGEST_SIGNING_KEY (or Loomstep.builder(..).signingKey(..))";
    /**
     * Strict about types as well as trailing content: {@code "attempt": "3"}, {@code "attempt": 0.5},
     * {@code "run_id": 7} or {@code "disable_immediate_execution": -936} are a broken call request, refused
     * with the field's name, not coerced into a value the executor never sent.
     */
    private static final ObjectReader CALL_READER = strictMapper().readerFor(CallRequest.class)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .without(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    private static final ObjectReader TREE_READER = Json.mapper().reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Query parameters that address one call or sync and so never belong in the registered URL. */
    private static final Set<String> TRANSIENT_QUERY = Set.of("deployId", "fnId", "stepId", "probe");

    private final Loomstep app;
    private final Config config;
    private final ServeOptions options;
    private final String framework;
    private final SigningKey primaryKey;
    private final SigningKey fallbackKey;
    private final RefusalWarnings refusals;
    private final Registrar registrar;
    private final RunStateFetcher runState;
    private final CheckpointClient checkpoints;
    private final AtomicBoolean warnedServerKind = new AtomicBoolean();

    /**
     * @param app       the app to serve
     * @param framework the name sent as {@code X-Inngest-Framework} and in syncs (e.g. "undertow")
     * @param options   limits and clients; {@link ServeOptions#defaults()} when null
     */
    public SdkEndpoint(Loomstep app, String framework, ServeOptions options) {
        this.app = java.util.Objects.requireNonNull(app, "app");
        this.config = app.config();
        this.options = options == null ? ServeOptions.defaults() : options;
        this.framework = framework == null || framework.isBlank() ? "loomstep" : framework;
        this.primaryKey = SigningKey.ofNullable(config.signingKey());
        this.fallbackKey = SigningKey.ofNullable(config.signingKeyFallback());
        // The client's default executor is a cached pool of platform threads that grows with the calls in
        // flight (one checkpoint per run being executed): hundreds of threads under load. Virtual threads instead.
        HttpClient client = this.options.httpClient() != null ? this.options.httpClient()
                : HttpClient.newBuilder().connectTimeout(this.options.apiTimeout())
                        .executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()).build();
        this.registrar = new Registrar(config, client, this.options.apiTimeout());
        this.runState = new RunStateFetcher(config, client, this.options.apiTimeout());
        this.checkpoints = new CheckpointClient(config, client, this.options.apiTimeout());
        this.refusals = new RefusalWarnings(log, app.appId(), shortHash(primaryKey), shortHash(fallbackKey));
        if (!config.dev() && primaryKey == null) {
            log.warn("Loomstep app \"{}\" is in cloud mode without a signing key, so every request will be refused with 500: {}",
                    app.appId(), missingKeyFix());
        }
    }

    public Loomstep app() {
        return app;
    }

    private String missingKeyFix() {
        return options.missingKeyFix() != null ? options.missingKeyFix() : MISSING_KEY_FIX;
    }

    public ServeOptions options() {
        return options;
    }

    public String framework() {
        return framework;
    }

    /** Answers one request. Never throws; blocks while a function runs or a sync is in flight. */
    public SdkResponse handle(SdkRequest request) {
        var turn = new Turn(request, actionOf(request.method()));
        try {
            if (!config.dev() && primaryKey == null) {
                throw new HttpError(500, "this app is in cloud mode but has no signing key: " + missingKeyFix());
            }
            if (config.dev()) {
                turn.trusted = true;
                warnIfNotDevServer(request);
            }
            return switch (request.method()) {
                case "GET" -> introspect(turn);
                case "PUT" -> sync(turn);
                case "POST" -> call(turn);
                default -> throw new HttpError(405, "method " + request.method()
                        + " is not allowed here; use GET (introspection), PUT (sync) or POST (call)")
                        .header("Allow", "GET, PUT, POST");
            };
        } catch (HttpError e) {
            if (e.status >= 500) {
                log.warn("{} {} answered {}: {}", request.method(), pathOf(request.url()), e.status, e.getMessage());
            } else {
                log.debug("{} {} answered {}: {}", request.method(), pathOf(request.url()), e.status, e.getMessage());
            }
            return turn.error(e);
        } catch (RuntimeException | Error e) {
            // Anything unexpected is ours to log, not the caller's to read: one line out, the stack in the log.
            log.error("{} {} failed inside Loomstep", request.method(), pathOf(request.url()), e);
            return turn.error(new HttpError(500, "internal error in the Loomstep SDK: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage())));
        }
    }

    /**
     * The answer to a request whose body is larger than {@link ServeOptions#maxBodyBytes()}; adapters
     * call this instead of {@link #handle} without reading the body.
     *
     * @param request the request with an empty body
     * @param size    the declared body size, or -1 when it is unknown (chunked)
     */
    public SdkResponse payloadTooLarge(SdkRequest request, long size) {
        var turn = new Turn(request, actionOf(request.method()));
        turn.trusted = config.dev(); // the body is unread, so no signature can be checked
        String message = (size >= 0 ? "request body is " + size + " bytes, more than" : "request body exceeds")
                + " the limit of " + options.maxBodyBytes() + " bytes; raise it with ServeOptions.maxBodyBytes(..)";
        var error = new HttpError(413, message);
        if (request.method().equals("POST")) {
            error.header(Headers.NO_RETRY, "false");
        }
        return turn.error(error);
    }

    /**
     * A one-line JSON error with the protocol's headers, for an adapter that cannot hand the request to
     * {@link #handle} at all (its body could not be read, the server is shutting down). POSTs get
     * No-Retry false: the executor should try again.
     */
    public SdkResponse refuse(SdkRequest request, int status, String message) {
        var turn = new Turn(request, actionOf(request.method()));
        turn.trusted = config.dev(); // nothing was verified
        var error = new HttpError(status, message);
        if (request.method().equals("POST")) {
            error.header(Headers.NO_RETRY, "false");
        }
        return turn.error(error);
    }

    /**
     * Syncs out of band without an incoming PUT: registers the app, served at {@code servedAt}, with the
     * executor whose API is at {@code apiOrigin} (null: the configured API origin).
     *
     * @throws SyncException when the executor refuses or cannot be reached
     */
    public SyncResult sync(String servedAt, String apiOrigin) {
        String url = serveUrl(servedAt);
        return registrar.register(apiOrigin != null ? apiOrigin : config.apiOrigin(), registerBody(url, null), null, null, framework);
    }

    /**
     * The URL to register for an endpoint reached at {@code requestUrl}: the configured serve origin and
     * path ({@code INNGEST_SERVE_ORIGIN}/{@code INNGEST_SERVE_PATH}) replace the request's, and the
     * per-request query parameters ({@code deployId}, {@code fnId}, {@code stepId}, {@code probe}) are dropped.
     *
     * @throws IllegalArgumentException when {@code requestUrl} is not an absolute URL and no serve origin is configured
     */
    public String serveUrl(String requestUrl) {
        URI u;
        try {
            u = URI.create(requestUrl);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the URL \"" + requestUrl + "\" is not a valid URL", e);
        }
        String origin = config.serveOrigin() != null ? config.serveOrigin()
                : u.getScheme() == null || u.getRawAuthority() == null ? null : u.getScheme() + "://" + u.getRawAuthority();
        if (origin == null) {
            throw new IllegalArgumentException("cannot tell this endpoint's public URL from \"" + requestUrl
                    + "\"; set INNGEST_SERVE_ORIGIN or Loomstep.builder(..).serve(origin, path)");
        }
        String path = config.servePath() != null ? config.servePath() : u.getRawPath() == null ? "" : u.getRawPath();
        var query = new StringBuilder();
        if (u.getRawQuery() != null) {
            for (String pair : u.getRawQuery().split("&")) {
                String key = pair.contains("=") ? pair.substring(0, pair.indexOf('=')) : pair;
                if (!pair.isEmpty() && !TRANSIENT_QUERY.contains(key)) {
                    query.append(query.isEmpty() ? "?" : "&").append(pair);
                }
            }
        }
        return origin + (path.startsWith("/") || path.isEmpty() ? path : "/" + path) + query;
    }

    // ---- GET ------------------------------------------------------------------------------------

    private SdkResponse introspect(Turn turn) {
        ObjectNode body = Json.nodes().objectNode();
        if (config.dev()) {
            body.put("function_count", app.functionsById().size());
            body.put("has_event_key", config.eventKey() != null);
            body.put("has_signing_key", primaryKey != null);
            body.put("mode", config.mode());
            return turn.ok(200, body, Map.of());
        }
        turn.verifyOrRefuse();
        ObjectNode extra = body.putObject("extra");
        extra.put("authentication_succeeded", true);
        extra.put("app_id", app.appId());
        extra.put("sdk_language", "java");
        extra.put("sdk_version", Loomstep.VERSION);
        extra.put("framework", framework);
        extra.put("env", config.env());
        extra.put("api_origin", config.apiOrigin());
        extra.put("event_api_origin", config.eventApiOrigin());
        extra.put("serve_origin", config.serveOrigin());
        extra.put("serve_path", config.servePath());
        extra.set("capabilities", capabilities());
        body.put("function_count", app.functionsById().size());
        body.put("has_event_key", config.eventKey() != null);
        body.put("has_signing_key", primaryKey != null);
        body.put("mode", config.mode());
        body.put("signing_key_fallback_hash", shortHash(fallbackKey));
        body.put("signing_key_hash", shortHash(primaryKey));
        return turn.ok(200, body, Map.of());
    }

    /** The first 12 hex digits of the hashed key, as the JS SDK reports: enough to tell keys apart, useless as a token. */
    private static String shortHash(SigningKey key) {
        if (key == null) {
            return null;
        }
        try {
            return key.hashedTail().substring(0, 12);
        } catch (IllegalStateException e) {
            return null;
        }
    }

    private static ObjectNode capabilities() {
        return Json.nodes().objectNode().put("trust_probe", "v1");
    }

    // ---- PUT ------------------------------------------------------------------------------------

    private SdkResponse sync(Turn turn) {
        SdkRequest req = turn.req;
        boolean inBand = options.allowInBandSync() && "in_band".equalsIgnoreCase(trimmed(req.header(SYNC_KIND)));
        if (inBand) {
            return syncInBand(turn);
        }
        if (!config.dev() && req.header(Headers.SIGNATURE) != null) {
            turn.tryVerify(); // an unsigned out-of-band sync is allowed; a signed one earns a signed answer
        }
        String deployId = trimmed(req.query("deployId"));
        if (deployId != null && (deployId.isEmpty() || deployId.equals("undefined"))) {
            deployId = null;
        }
        String url = servedAt(req.url());
        ObjectNode body = Json.nodes().objectNode();
        Map<String, String> headers = Map.of(SYNC_KIND, "out_of_band");
        try {
            SyncResult result = registrar.register(config.apiOrigin(), registerBody(url, deployId), deployId,
                    req.header(Headers.SERVER_KIND), framework);
            // Inngest's dev server re-syncs a registered app every few seconds: an unchanged sync from where the
            // last one came is DEBUG, so the app's log keeps one line per change, not one per poll.
            String where = url + " with " + config.apiOrigin();
            boolean sameAsLast = where.equals(lastSync.getAndSet(where));
            if (result.modified() || !sameAsLast) {
                log.info("synced app \"{}\" at {} (modified: {})", app.appId(), where, result.modified());
            } else {
                log.debug("synced app \"{}\" at {} again (unchanged)", app.appId(), where);
            }
            body.put("message", result.message());
            body.put("modified", result.modified());
            return turn.ok(200, body, headers);
        } catch (SyncException e) {
            log.warn("sync of app \"{}\" at {} with {} failed: {}", app.appId(), url, config.apiOrigin(), e.getMessage());
            body.put("message", e.getMessage());
            body.put("modified", false);
            return turn.ok(500, body, headers);
        }
    }

    private SdkResponse syncInBand(Turn turn) {
        if (!config.dev()) {
            turn.verifyOrRefuse();
        }
        JsonNode in = parseJson(turn.req.body(), "in-band sync request");
        if (!in.isObject() || !in.path("url").isTextual() || in.get("url").asText().isBlank()) {
            throw new HttpError(400, "an in-band sync request body must be a JSON object with a \"url\" string");
        }
        String url = servedAt(in.get("url").asText());
        var functions = Json.toTree(app.syncRequest(url, framework).functions());
        ObjectNode inspection = Json.nodes().objectNode();
        inspection.put("function_count", app.functionsById().size());
        inspection.put("has_event_key", config.eventKey() != null);
        inspection.put("has_signing_key", primaryKey != null);
        inspection.put("mode", config.mode());
        if (!config.dev()) {
            inspection.put("signing_key_fallback_hash", shortHash(fallbackKey));
            inspection.put("signing_key_hash", shortHash(primaryKey));
        }
        ObjectNode body = Json.nodes().objectNode();
        body.put("app_id", app.appId());
        body.set("capabilities", capabilities());
        body.put("env", config.env());
        body.put("framework", framework);
        body.set("functions", functions);
        body.set("inspection", inspection);
        body.putNull("platform");
        body.put("sdk_author", Loomstep.SDK_NAME);
        body.put("sdk_language", "java");
        body.put("sdk_version", Loomstep.VERSION);
        body.put("sdk", Loomstep.SDK_HEADER);
        body.put("url", url);
        return turn.ok(200, body, Map.of(SYNC_KIND, "in_band"));
    }

    private String servedAt(String url) {
        try {
            return serveUrl(url);
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, e.getMessage());
        }
    }

    private byte[] registerBody(String url, String deployId) {
        ObjectNode body = (ObjectNode) Json.toTree(app.syncRequest(url, framework));
        if (!body.has("capabilities")) {
            body.set("capabilities", capabilities());
        }
        if (deployId != null) {
            body.put("deployId", deployId);
        }
        return Json.toBytes(body);
    }

    // ---- POST -----------------------------------------------------------------------------------

    private SdkResponse call(Turn turn) {
        SdkRequest req = turn.req;
        if (!config.dev()) {
            turn.verifyOrRefuse();
        }
        String probe = req.query("probe");
        if (probe != null) {
            if (probe.equals("trust")) {
                return turn.respond(200, new byte[0], Map.of());
            }
            throw new HttpError(400, "unknown probe \"" + probe + "\"; the only probe is \"trust\"").header(Headers.NO_RETRY, "false");
        }
        String fnId = trimmed(req.query("fnId"));
        if (fnId == null || fnId.isEmpty()) {
            throw new HttpError(400, "a call request needs the fnId query parameter (the function's composite id, e.g. \""
                    + app.appId() + "-my-function\")").header(Headers.NO_RETRY, "false");
        }
        if (!app.functionsById().containsKey(fnId)) {
            // Retriable: during a deploy the executor may call a function this instance does not have yet.
            throw new HttpError(404, "app \"" + app.appId() + "\" has no function \"" + fnId + "\"; it serves "
                    + app.functionsById().keySet() + " (is the app synced?)").header(Headers.NO_RETRY, "false");
        }
        if (req.body().length == 0) {
            throw new HttpError(400, "a call request needs a JSON body; this one has none").header(Headers.NO_RETRY, "false");
        }
        CallRequest call = parseCall(req.body());
        if (call.ctx().useApi() || Boolean.TRUE.equals(call.useApi())) {
            call = runState.complete(call);
        } else if (call.event() == null && call.events().isEmpty()) {
            throw new HttpError(400, "the call request has no \"event\" object").header(Headers.NO_RETRY, "false");
        }
        String stepId = trimmed(req.query("stepId"));
        if (stepId == null || stepId.isEmpty()) {
            stepId = trimmed(req.header(STEP_ID_HEADER));
        }
        if (stepId == null || stepId.isEmpty()) {
            stepId = "step";
        }
        CallResult result;
        try {
            result = app.call(fnId, stepId, call, new RawRequest(req.method(), req.url(), req.headers(), req.body()), checkpoints);
        } catch (RuntimeException e) {
            log.error("call of {} (step {}) failed inside the engine", fnId, stepId, e);
            throw new HttpError(500, "the Loomstep engine failed on this call: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage())).header(Headers.NO_RETRY, "false");
        }
        var headers = new LinkedHashMap<String, String>();
        if (result.retryAfter() != null) {
            headers.put(Headers.NO_RETRY, "false");
            headers.put(Headers.RETRY_AFTER, result.retryAfter());
        } else if (result.failure()) {
            // Errors always say whether to retry (spec §4.1.1); a 206 says so only when it reports a step
            // error (StepError: false, StepFailed: true), as JS 4.24 does. Success needs no advice.
            headers.put(Headers.NO_RETRY, Boolean.toString(result.noRetry()));
        }
        return turn.respond(result.status(), result.body(), headers);
    }

    private static com.fasterxml.jackson.databind.ObjectMapper strictMapper() {
        var m = Json.mapper().copy();
        for (var type : new com.fasterxml.jackson.databind.type.LogicalType[] {
                com.fasterxml.jackson.databind.type.LogicalType.Textual, com.fasterxml.jackson.databind.type.LogicalType.Boolean,
                com.fasterxml.jackson.databind.type.LogicalType.Integer, com.fasterxml.jackson.databind.type.LogicalType.Float}) {
            var c = m.coercionConfigFor(type);
            for (var shape : new com.fasterxml.jackson.databind.cfg.CoercionInputShape[] {
                    com.fasterxml.jackson.databind.cfg.CoercionInputShape.Integer, com.fasterxml.jackson.databind.cfg.CoercionInputShape.Float,
                    com.fasterxml.jackson.databind.cfg.CoercionInputShape.Boolean, com.fasterxml.jackson.databind.cfg.CoercionInputShape.String}) {
                boolean same = type == com.fasterxml.jackson.databind.type.LogicalType.Textual && shape == com.fasterxml.jackson.databind.cfg.CoercionInputShape.String
                        || type == com.fasterxml.jackson.databind.type.LogicalType.Boolean && shape == com.fasterxml.jackson.databind.cfg.CoercionInputShape.Boolean
                        || type == com.fasterxml.jackson.databind.type.LogicalType.Integer && shape == com.fasterxml.jackson.databind.cfg.CoercionInputShape.Integer
                        || type == com.fasterxml.jackson.databind.type.LogicalType.Float
                                && (shape == com.fasterxml.jackson.databind.cfg.CoercionInputShape.Float || shape == com.fasterxml.jackson.databind.cfg.CoercionInputShape.Integer);
                if (!same) {
                    c.setCoercion(shape, com.fasterxml.jackson.databind.cfg.CoercionAction.Fail);
                }
            }
            if (type != com.fasterxml.jackson.databind.type.LogicalType.Textual) {
                c.setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.EmptyString, com.fasterxml.jackson.databind.cfg.CoercionAction.Fail);
            }
        }
        return m;
    }

    private static CallRequest parseCall(byte[] body) {
        CallRequest call;
        try {
            call = CALL_READER.readValue(body);
        } catch (IOException e) {
            throw new HttpError(400, "malformed call request: " + describe(e)).header(Headers.NO_RETRY, "false");
        }
        if (call == null) {
            throw new HttpError(400, "malformed call request: the body is JSON null, expected an object").header(Headers.NO_RETRY, "false");
        }
        if (call.events() != null && call.events().stream().anyMatch(java.util.Objects::isNull)) {
            throw new HttpError(400, "malformed call request: \"events\" has a null entry, expected event objects").header(Headers.NO_RETRY, "false");
        }
        return call;
    }

    static JsonNode parseJson(byte[] body, String what) {
        if (body.length == 0) {
            throw new HttpError(400, "the " + what + " needs a JSON body; this one has none");
        }
        try {
            return TREE_READER.readTree(body);
        } catch (IOException e) {
            throw new HttpError(400, "malformed " + what + ": " + describe(e));
        }
    }

    /** One line about a Jackson failure: where (field path or line/column) and what. */
    static String describe(IOException e) {
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            var path = new StringBuilder();
            for (JsonMappingException.Reference r : m.getPath()) {
                if (r.getFieldName() != null) {
                    path.append(path.isEmpty() ? "" : ".").append(r.getFieldName());
                } else if (r.getIndex() >= 0) {
                    path.append('[').append(r.getIndex()).append(']');
                }
            }
            return "field \"" + path + "\": " + Registrar.oneLine(stripTypeNoise(m.getOriginalMessage())) + where(m);
        }
        if (e instanceof JsonProcessingException p) {
            return Registrar.oneLine(stripTypeNoise(p.getOriginalMessage())) + where(p);
        }
        return Registrar.oneLine(String.valueOf(e.getMessage()));
    }

    private static String where(JsonProcessingException e) {
        var loc = e.getLocation();
        return loc == null || loc.getLineNr() < 0 ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }

    /** Jackson names Java classes in its messages; the caller speaks JSON, so say the JSON shape instead. */
    private static String stripTypeNoise(String message) {
        if (message == null) {
            return "invalid JSON";
        }
        return message.replaceAll("`dev\\.loomstep\\.protocol\\.CallRequest(\\$\\w+)?`", "object")
                .replaceAll("`dev\\.loomstep\\.Event`", "event object")
                .replaceAll("`java\\.util\\.(List|ArrayList)(<[^`]*>)?`", "array")
                .replaceAll("`java\\.util\\.(Map|LinkedHashMap)(<[^`]*>)?`", "object")
                .replaceAll("`java\\.lang\\.(String)`", "string")
                .replaceAll("`(int|long|java\\.lang\\.Integer|java\\.lang\\.Long)`", "integer")
                .replaceAll("`(boolean|java\\.lang\\.Boolean)`", "boolean")
                .replaceAll("`com\\.fasterxml\\.jackson\\.databind\\.node\\.ObjectNode`", "object");
    }

    // ---- shared ---------------------------------------------------------------------------------

    private void warnIfNotDevServer(SdkRequest request) {
        String kind = request.header(Headers.SERVER_KIND);
        if (kind != null && !kind.equalsIgnoreCase("dev") && warnedServerKind.compareAndSet(false, true)) {
            log.warn("app \"{}\" is in dev mode but was called by a server of kind \"{}\"; signatures are not being checked",
                    app.appId(), kind);
        }
    }

    private static String actionOf(String method) {
        return switch (method) {
            case "GET" -> "introspect";
            case "PUT" -> "sync";
            case "POST" -> "call";
            default -> "refuse";
        };
    }

    private static String trimmed(String s) {
        return s == null ? null : s.trim();
    }

    private static String pathOf(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    /** One request's progress: whether it is trusted and which key signs its answer. */
    private final class Turn {
        final SdkRequest req;
        final String action;
        final long started = System.nanoTime();
        boolean trusted;
        SigningKey key;

        Turn(SdkRequest req, String action) {
            this.req = req;
            this.action = action;
        }

        void verifyOrRefuse() {
            Verification v = Signatures.verify(req.header(Headers.SIGNATURE), req.body(), primaryKey, fallbackKey, options.clock().instant());
            switch (v) {
                case Verification.Verified ok -> {
                    trusted = true;
                    key = ok.key();
                }
                case Verification.Rejected no -> {
                    refusals.refused(req.method(), no.reason(), options.clock().instant());
                    throw new HttpError(401, "Unauthorized: " + no.reason());
                }
            }
        }

        void tryVerify() {
            if (Signatures.verify(req.header(Headers.SIGNATURE), req.body(), primaryKey, fallbackKey, options.clock().instant())
                    instanceof Verification.Verified ok) {
                trusted = true;
                key = ok.key();
            }
        }

        SdkResponse ok(int status, JsonNode body, Map<String, String> extra) {
            return respond(status, Json.toBytes(body), extra);
        }

        SdkResponse error(HttpError e) {
            ObjectNode body = Json.nodes().objectNode().put("message", Registrar.oneLine(String.valueOf(e.getMessage())));
            return respond(e.status, Json.toBytes(body), e.headers);
        }

        /**
         * Adds the protocol headers. A request that is not trusted (cloud mode, signature missing or
         * wrong) gets no {@code X-Inngest-*} identity headers, as the official SDKs do: an unverified
         * caller learns nothing about the SDK behind the URL.
         */
        SdkResponse respond(int status, byte[] body, Map<String, String> extra) {
            var headers = new LinkedHashMap<String, String>();
            headers.put("Content-Type", "application/json");
            if (trusted) {
                headers.put(Headers.SDK, Loomstep.SDK_HEADER);
                headers.put(Headers.FRAMEWORK, framework);
                headers.put(Headers.REQ_VERSION, REQ_VERSION);
            }
            headers.put(SDK_HANDLED, "true");
            extra.forEach((k, v) -> {
                if (trusted || !k.toLowerCase(Locale.ROOT).startsWith("x-inngest-")) {
                    headers.put(k, v);
                }
            });
            headers.put(Headers.SERVER_TIMING, String.format(Locale.ROOT, "%s;dur=%.1f", action, (System.nanoTime() - started) / 1e6));
            if (key != null) {
                headers.put(Headers.SIGNATURE, Signatures.sign(body, key, options.clock().instant()));
            }
            return new SdkResponse(status, headers, body);
        }
    }

    /** An answer other than success, thrown inside the endpoint and turned into a response in one place. */
    static final class HttpError extends RuntimeException {
        final int status;
        final Map<String, String> headers = new LinkedHashMap<>();

        HttpError(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        HttpError header(String name, String value) {
            headers.put(name, value);
            return this;
        }
    }
}
