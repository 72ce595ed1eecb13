package dev.loomstep.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.Event;
import dev.loomstep.EventSender;
import dev.loomstep.Loomstep;
import dev.loomstep.protocol.Headers;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends events to an Inngest event API ({@code POST {eventApiOrigin}/e/{eventKey}}) over
 * {@code java.net.http}. One event or a batch goes in one request; the ids the API assigns come back in
 * order. Connection failures and 5xx answers are retried with exponential backoff and jitter; a 4xx
 * answer is final. Retries carry the same {@code X-Inngest-Event-Id-Seed}, so the event API derives the
 * same ids and a retried batch is not ingested twice.
 *
 * <p>{@link Loomstep} finds this sender by itself when loomstep-http is on the class path (through
 * {@link Provider}); {@code step.sendEvent} and {@code app.send} use it.
 *
 * <pre>{@code
 * var client = EventClient.builder().eventApiOrigin("http://localhost:8288").eventKey("dev").build();
 * List<String> ids = client.send(Event.of("api/account.created", Map.of("id", "u_1")));
 * }</pre>
 */
public final class EventClient implements EventSender {
    /** Lets the API derive deterministic event ids, so a retried send is idempotent. */
    public static final String EVENT_ID_SEED = "X-Inngest-Event-Id-Seed";

    private static final Logger log = LoggerFactory.getLogger(EventClient.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** What a caller's extra headers may not replace (lower case). */
    private static final java.util.Set<String> OWN_HEADERS = java.util.Set.of("content-type", "user-agent",
            Headers.SDK.toLowerCase(java.util.Locale.ROOT), EVENT_ID_SEED.toLowerCase(java.util.Locale.ROOT),
            Headers.ENV.toLowerCase(java.util.Locale.ROOT));

    private final String origin;
    private final String eventKey;
    private final String env;
    private final String sdkHeader;
    private final HttpClient client;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration requestTimeout;
    private final Clock clock;
    /** Null when the client was built without a configuration, which is where the API origin comes from. */
    private final SignalClient signals;
    private final RealtimeCalls realtime;

    private EventClient(Builder b) {
        this.origin = stripSlash(Objects.requireNonNull(b.eventApiOrigin, "eventApiOrigin"));
        this.eventKey = b.eventKey;
        this.env = b.env;
        this.sdkHeader = b.sdkHeader;
        this.client = b.httpClient != null ? b.httpClient
                : HttpClient.newBuilder().connectTimeout(b.requestTimeout).followRedirects(HttpClient.Redirect.NORMAL).build();
        this.maxAttempts = b.maxAttempts;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.requestTimeout = b.requestTimeout;
        this.clock = b.clock;
        this.signals = b.config == null ? null : new SignalClient(b.config, client, sdkHeader, requestTimeout);
        this.realtime = signals == null ? null : new RealtimeCalls(b.config, signals);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A client for a configuration: its event API origin, event key (or the dev placeholder) and env. */
    public static EventClient of(Config config) {
        return builder().config(config).build();
    }

    /** Sends events; see {@link #send(List)}. */
    public List<String> send(Event... events) {
        return send(Arrays.asList(events));
    }

    /**
     * Sends the events in one request and returns their ids, in order. An event without {@code ts} is
     * stamped with the current time (as the JS SDK does); one without {@code id} gets its id from the API.
     *
     * @throws EventSendException when the API refuses the events, answers something unreadable, or
     *                            cannot be reached after every attempt
     */
    @Override
    public List<String> send(List<Event> events) {
        return send(events, Map.of());
    }

    /**
     * As {@link #send(List)}, with {@code headers} added to the request (a W3C {@code traceparent}, say);
     * they cannot replace the headers this client sets itself.
     */
    @Override
    public List<String> send(List<Event> events, Map<String, String> headers) {
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(headers, "headers");
        if (events.isEmpty()) {
            return List.of();
        }
        if (eventKey == null) {
            throw new EventSendException("cannot send events: no event key; set INNGEST_EVENT_KEY or Loomstep.builder(..).eventKey(..) "
                    + "(dev mode needs none)", -1, null);
        }
        long now = clock.millis();
        var stamped = new ArrayList<Event>(events.size());
        for (Event e : events) {
            Objects.requireNonNull(e, "events must not contain null");
            if (e.name() == null || e.name().isBlank()) {
                throw new IllegalArgumentException("every event needs a name; got " + Json.toString(e));
            }
            stamped.add(e.ts() == null ? e.withTs(now) : e);
        }
        byte[] body = Json.toBytes(stamped);
        byte[] entropy = new byte[10];
        RANDOM.nextBytes(entropy);
        String seed = now + "," + Base64.getEncoder().encodeToString(entropy);
        URI uri = URI.create(origin + "/e/" + URLEncoder.encode(eventKey, StandardCharsets.UTF_8).replace("+", "%20"));

        EventSendException last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            if (attempt > 1) {
                pause(attempt - 1, last);
            }
            var req = HttpRequest.newBuilder(uri)
                    .timeout(requestTimeout)
                    .header("Content-Type", "application/json")
                    .header("User-Agent", sdkHeader)
                    .header(Headers.SDK, sdkHeader)
                    .header(EVENT_ID_SEED, seed)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (env != null) {
                req.header(Headers.ENV, env);
            }
            headers.forEach((name, value) -> {
                if (!OWN_HEADERS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                    req.header(name, value);
                }
            });
            HttpResponse<byte[]> res;
            try {
                res = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                last = new EventSendException("cannot send " + events.size() + " event(s): " + where() + " did not answer ("
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", -1, e);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EventSendException("interrupted while sending " + events.size() + " event(s) to " + where(), -1, e);
            }
            int status = res.statusCode();
            JsonNode answer = parse(res.body());
            if (status >= 500) {
                last = refused(events.size(), status, answer, res.body());
                continue;
            }
            if (status != 200) {
                throw refused(events.size(), status, answer, res.body());
            }
            if (answer == null || !answer.path("ids").isArray()
                    || answer.path("error").isTextual() && !answer.get("error").asText().isEmpty()
                    || answer.has("status") && answer.path("status").asInt(200) != 200) {
                throw refused(events.size(), status, answer, res.body());
            }
            var ids = new ArrayList<String>();
            answer.get("ids").forEach(id -> ids.add(id.asText()));
            return List.copyOf(ids);
        }
        throw new EventSendException(last.getMessage() + " after " + maxAttempts + " attempt(s)", last.status(), last.getCause());
    }

    /**
     * Sends a signal through the Inngest API ({@code POST {apiOrigin}/v1/signals}) and returns the id of the
     * run it resumed, or empty when no run waits for it (the API's 404). Needs a client built with
     * {@link Builder#config}, which says where the API is and which signing key authorises the call.
     *
     * @throws EventSendException when the API refuses the signal or cannot be reached
     */
    @Override
    public Optional<String> sendSignal(String signal, JsonNode data) {
        if (signals == null) {
            throw new IllegalStateException("this EventClient was built without a configuration, so it does not know the API "
                    + "to send signals to; build it with EventClient.builder().config(config)");
        }
        return signals.send(signal, data);
    }

    /**
     * Sends a metadata update through the Inngest API ({@code POST {apiOrigin}/v1/runs/{runId}/metadata}),
     * authorised like signals; see {@link dev.loomstep.metadata.RunMetadata}.
     */
    @Override
    public void sendMetadata(String runId, JsonNode body) {
        if (signals == null) {
            throw new IllegalStateException("this EventClient was built without a configuration, so it does not know the API "
                    + "to send metadata to; build it with EventClient.builder().config(config)");
        }
        signals.sendMetadata(runId, body);
    }

    /** Publishes to a realtime channel's topic through the Inngest API; see {@link dev.loomstep.Loomstep#publish}. */
    @Override
    public void publish(String channel, String topic, String runId, JsonNode data) {
        realtime("publish realtime messages").publish(channel, topic, runId, data);
    }

    /** A realtime subscription token from the Inngest API; see {@link dev.loomstep.Loomstep#subscriptionToken}. */
    @Override
    public String subscriptionToken(String channel, List<String> topics) {
        return realtime("create realtime tokens").token(channel, topics);
    }

    private RealtimeCalls realtime(String what) {
        if (realtime == null) {
            throw new IllegalStateException("this EventClient was built without a configuration, so it does not know the API "
                    + "to " + what + " with; build it with EventClient.builder().config(config)");
        }
        return realtime;
    }

    private void pause(int retry, EventSendException why) {
        long base = initialBackoff.toMillis() << Math.min(retry - 1, 20);
        long delay = Math.min(maxBackoff.toMillis(), base + ThreadLocalRandom.current().nextLong(initialBackoff.toMillis() + 1));
        log.debug("retrying an event send in {} ms: {}", delay, why.getMessage());
        try {
            Thread.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EventSendException("interrupted while waiting to retry: " + why.getMessage(), why.status(), e);
        }
    }

    private EventSendException refused(int count, int status, JsonNode answer, byte[] raw) {
        String detail = answer != null && answer.path("error").isTextual() ? answer.get("error").asText()
                : answer != null && answer.path("message").isTextual() ? answer.get("message").asText()
                : raw.length == 0 ? "(empty body)" : new String(raw, 0, Math.min(raw.length, 300), StandardCharsets.UTF_8);
        return new EventSendException("the event API at " + where() + " refused " + count + " event(s) with " + status + ": "
                + Registrar.oneLine(detail), status, null);
    }

    /** The endpoint without the event key, which is a secret. */
    private String where() {
        return origin + "/e/…";
    }

    private static JsonNode parse(byte[] body) {
        try {
            return body.length == 0 ? null : Json.mapper().readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** Configures an {@link EventClient}. */
    public static final class Builder {
        private String eventApiOrigin = Config.CLOUD_EVENT_API_ORIGIN;
        private String eventKey;
        private String env;
        private String sdkHeader = Loomstep.SDK_HEADER;
        private HttpClient httpClient;
        private int maxAttempts = 5;
        private Duration initialBackoff = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Clock clock = Clock.systemUTC();
        private Config config;

        private Builder() {}

        /** Origin, event key (the dev placeholder in dev mode) and env from a configuration. */
        public Builder config(Config config) {
            eventApiOrigin = config.eventApiOrigin();
            eventKey = config.effectiveEventKey();
            env = config.env();
            this.config = config;
            return this;
        }

        public Builder eventApiOrigin(String value) {
            eventApiOrigin = Objects.requireNonNull(value, "eventApiOrigin");
            return this;
        }

        public Builder eventKey(String value) {
            eventKey = value;
            return this;
        }

        /** The Inngest environment (branch), sent as {@code X-Inngest-Env}. */
        public Builder env(String value) {
            env = value;
            return this;
        }

        public Builder sdkHeader(String value) {
            sdkHeader = Objects.requireNonNull(value, "sdkHeader");
            return this;
        }

        public Builder httpClient(HttpClient value) {
            httpClient = value;
            return this;
        }

        /** Attempts per send, the first included (default 5); 1 disables retries. */
        public Builder maxAttempts(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, got " + value);
            }
            maxAttempts = value;
            return this;
        }

        /** The delay before the first retry, doubled for each next one, plus jitter (default 100 ms, at most 5 s). */
        public Builder backoff(Duration initial, Duration max) {
            if (initial.isNegative() || max.isNegative() || max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("backoff needs 0 <= initial <= max, got " + initial + " and " + max);
            }
            initialBackoff = initial;
            maxBackoff = max;
            return this;
        }

        public Builder requestTimeout(Duration value) {
            requestTimeout = Objects.requireNonNull(value, "requestTimeout");
            return this;
        }

        /** The clock that stamps {@code ts} on events that have none. */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        public EventClient build() {
            return new EventClient(this);
        }
    }

    /** Found by {@link java.util.ServiceLoader}: makes this client every {@link Loomstep} app's default sender. */
    public static final class Provider implements EventSender.Provider {
        public Provider() {}

        @Override
        public EventSender create(Config config, String sdkVersionHeader) {
            return builder().config(config).sdkHeader(sdkVersionHeader).build();
        }
    }
}
