package dev.loomstep.devserver.realtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.loomstep.protocol.Json;
import dev.loomstep.realtime.RealtimeMessage;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.util.Headers;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The realtime API as Inngest serves it: {@code POST /v1/realtime/publish?channel=&topic=[&run_id=]}
 * (a JSON body, any other body as a JSON string, or a {@code Content-Type: text/stream} body streamed to
 * subscribers in 1 KiB chunks), {@code POST /v1/realtime/token} ({@code [{channel, name, kind}]} answered
 * 201 {@code {"jwt"}}), and subscriptions over WebSocket ({@code /v1/realtime/connect}, see
 * {@link WebSocketSubscriber}) and SSE ({@code /v1/realtime/sse}, see {@link SseSubscriber}), both with
 * {@code ?token=}. The UI's run page watches a run's messages at {@code GET /v1/runs/{runId}/realtime} (SSE).
 */
public final class RealtimeApi {
    private static final Logger LOG = LoggerFactory.getLogger(RealtimeApi.class);
    /** The largest publish body, as Inngest's. */
    public static final int MAX_MESSAGE_BYTES = 512 * 1024;
    static final int CHUNK_BYTES = 1024;
    static final int MAX_CHUNKS = 1000;
    private static final ObjectReader STRICT = Json.mapper().reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Pattern ULID = Pattern.compile("[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}");

    private final Broadcaster broadcaster;
    private final Tokens tokens;
    private final InstantSource clock;
    private final ExecutorService threads;
    private final SseSubscriber sse;
    private final WebSocketSubscriber ws;

    /**
     * @param threads the virtual threads that read bodies and write to subscribers (never the IO threads)
     */
    public RealtimeApi(Broadcaster broadcaster, Tokens tokens, InstantSource clock, ExecutorService threads) {
        this.broadcaster = broadcaster;
        this.tokens = tokens;
        this.clock = clock;
        this.threads = threads;
        this.sse = new SseSubscriber(broadcaster, tokens, threads);
        this.ws = new WebSocketSubscriber(broadcaster, tokens, threads);
    }

    public Broadcaster broadcaster() {
        return broadcaster;
    }

    public void addTo(RoutingHandler r) {
        r.post("/v1/realtime/publish", onThread(this::publish))
                .post("/v1/realtime/token", ex -> ex.getRequestReceiver().receiveFullBytes(
                        (e, body) -> e.dispatch(threads, () -> token(e, body)),
                        (e, error) -> e.dispatch(threads, () -> Answers.error(e, 400, "could not read the request body: " + error.getMessage()))))
                .get("/v1/realtime/connect", ws.handler())
                .get("/v1/realtime/sse", onThread(sse::subscribe))
                .get("/v1/runs/{runId}/realtime", onThread(sse::watchRun));
    }

    /** Stops every subscription. */
    public void close() {
        broadcaster.close();
    }

    private HttpHandler onThread(Blocking body) {
        return ex -> ex.dispatch(threads, () -> {
            ex.startBlocking();
            try {
                body.handle(ex);
            } catch (IOException e) {
                LOG.debug("realtime {} {}: the client went away ({})", ex.getRequestMethod(), ex.getRequestPath(), e.toString());
            } catch (RuntimeException e) {
                LOG.error("realtime {} {} failed", ex.getRequestMethod(), ex.getRequestPath(), e);
                if (!ex.isResponseStarted()) {
                    Answers.error(ex, 500, "internal error: " + e);
                }
            } finally {
                ex.endExchange();
            }
        });
    }

    @FunctionalInterface
    interface Blocking {
        void handle(HttpServerExchange ex) throws IOException;
    }

    private void publish(HttpServerExchange ex) throws IOException {
        String channel = query(ex, "channel");
        String topic = query(ex, "topic");
        String runId = query(ex, "run_id");
        if (channel.isEmpty() || topic.isEmpty()) {
            Answers.error(ex, 400, "publish: ?channel= and ?topic= are required and must not be empty (got channel \""
                    + Answers.clip(channel) + "\", topic \"" + Answers.clip(topic) + "\")");
            return;
        }
        if (!runId.isEmpty() && !ULID.matcher(runId).matches()) {
            Answers.error(ex, 400, "publish: ?run_id= must be a run's id (a 26-character ULID), got \"" + Answers.clip(runId) + "\"");
            return;
        }
        String run = runId.isEmpty() ? null : runId;
        String type = ex.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
        if (type != null && type.trim().toLowerCase(java.util.Locale.ROOT).startsWith("text/stream")) {
            stream(ex, channel, topic, run);
            return;
        }
        byte[] body = ex.getInputStream().readNBytes(MAX_MESSAGE_BYTES + 1);
        if (body.length > MAX_MESSAGE_BYTES) {
            ex.setPersistent(false);
            Answers.error(ex, 413, "publish: the message is larger than " + MAX_MESSAGE_BYTES / 1024 + " KiB; publish less, or stream it with Content-Type: text/stream");
            return;
        }
        broadcaster.publish(RealtimeMessage.data(channel, topic, data(body), run, clock.instant()));
        ex.setStatusCode(200);
    }

    /** The body as JSON when it is JSON, else as a JSON string of its text (as Inngest does). */
    static JsonNode data(byte[] body) {
        try {
            if (body.length > 0) {
                return STRICT.readTree(body);
            }
        } catch (JsonProcessingException e) {
            // Not JSON: published as text.
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return Json.nodes().textNode(new String(body, StandardCharsets.UTF_8));
    }

    /** A streamed publish: datastream-start (its stream id), a chunk per KiB read as it arrives, datastream-end. */
    private void stream(HttpServerExchange ex, String channel, String topic, String runId) throws IOException {
        String streamId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        var start = clock.instant();
        broadcaster.publish(new RealtimeMessage(RealtimeMessage.Kind.DATASTREAM_START, channel, topic,
                Json.nodes().textNode(streamId), runId, null, start));
        // A chunk is what has arrived (up to 1 KiB of text), so a slowly written stream reaches subscribers as it
        // is written; read as characters, so a chunk never splits a UTF-8 sequence.
        try (var in = new java.io.InputStreamReader(ex.getInputStream(), StandardCharsets.UTF_8)) {
            char[] buf = new char[CHUNK_BYTES];
            for (int i = 0; i < MAX_CHUNKS; i++) {
                int n = in.read(buf, 0, buf.length);
                if (n < 0) {
                    break;
                }
                broadcaster.publish(new RealtimeMessage(RealtimeMessage.Kind.CHUNK, channel, topic,
                        Json.nodes().textNode(new String(buf, 0, n)), runId, streamId, clock.instant()));
            }
        } finally {
            broadcaster.publish(new RealtimeMessage(RealtimeMessage.Kind.DATASTREAM_END, channel, topic,
                    Json.nodes().textNode(streamId), runId, null, clock.instant()));
        }
        ex.setStatusCode(200);
    }

    private void token(HttpServerExchange ex, byte[] body) {
        try {
            List<Topic> topics = topics(body);
            Answers.json(ex, 201, Json.nodes().objectNode().put("jwt", tokens.issue(topics)));
        } catch (IllegalArgumentException e) {
            Answers.error(ex, 400, e.getMessage());
        }
    }

    /** The token request's topics: {@code [{channel, name, kind}]}, at least one, each with a channel and a name. */
    static List<Topic> topics(byte[] body) {
        JsonNode list;
        try {
            list = body.length == 0 ? null : STRICT.readTree(body);
        } catch (IOException e) {
            list = null;
        }
        String shape = "a realtime token request is a JSON array of topics [{\"channel\": …, \"name\": …, \"kind\": \"run\"}]";
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new IllegalArgumentException("Invalid request: must provide a list of topics: " + shape);
        }
        List<Topic> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode t = list.get(i);
            String channel = t.path("channel").asText("");
            String name = t.path("name").asText("");
            String kind = t.path("kind").asText("run");
            if (channel.isEmpty() || name.isEmpty()) {
                throw new IllegalArgumentException("Invalid request: topic " + i + " needs a non-empty \"channel\" and \"name\": " + shape);
            }
            if (!kind.equals("run")) {
                throw new IllegalArgumentException("Invalid request: topic " + i + " has kind \"" + Answers.clip(kind)
                        + "\"; only \"run\" topics are served");
            }
            out.add(new Topic(channel, name));
        }
        return out;
    }

    static String query(HttpServerExchange ex, String name) {
        Deque<String> v = ex.getQueryParameters().get(name);
        return v == null || v.isEmpty() ? "" : v.getFirst();
    }

    /** The token of a subscription request: {@code ?token=}, else {@code Authorization: Bearer}. */
    static String token(HttpServerExchange ex) {
        String q = query(ex, "token");
        if (!q.isEmpty()) {
            return q;
        }
        String auth = ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        return auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : "";
    }

    static Duration keepalive() {
        return Duration.ofSeconds(15);
    }

    static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
