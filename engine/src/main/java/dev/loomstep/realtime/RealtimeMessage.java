package dev.loomstep.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.protocol.Json;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * One realtime message, as subscribers receive it over {@code /v1/realtime/connect} (WebSocket) and
 * {@code /v1/realtime/sse}: a JSON object {@code {kind, data, created_at, channel, topic, run_id, …}}.
 * {@link Kind#DATA} is what {@code publish} sends; a streamed publish arrives as
 * {@link Kind#DATASTREAM_START}, {@link Kind#CHUNK}s (text in {@code data}) and {@link Kind#DATASTREAM_END}.
 *
 * @param kind      what the message is
 * @param channel   the channel it was published to
 * @param topic     the topic within the channel
 * @param data      the published JSON (a body that was not JSON arrives as a JSON string); a chunk's text
 * @param runId     the run that published it, or null when it was published from outside a run
 * @param streamId  the stream a chunk or a stream's start and end belong to, else null
 * @param createdAt when the server took the message, or null when the frame did not say
 */
public record RealtimeMessage(Kind kind, String channel, String topic, JsonNode data, String runId, String streamId,
        Instant createdAt) {

    public RealtimeMessage {
        Objects.requireNonNull(kind, "kind");
        data = data == null ? Json.nodes().nullNode() : data;
    }

    /** A {@code data} message, as a publish makes it. */
    public static RealtimeMessage data(String channel, String topic, JsonNode data, String runId, Instant createdAt) {
        return new RealtimeMessage(Kind.DATA, channel, topic, data, runId, null, createdAt);
    }

    /** The message's kinds, by their wire names; {@link #OTHER} for any this version does not know. */
    public enum Kind {
        DATA("data"), RUN("run"), STEP("step"), DATASTREAM_START("datastream-start"), DATASTREAM_END("datastream-end"),
        CHUNK("chunk"), PING("ping"), CLOSING("closing"), OTHER("");

        private final String wire;

        Kind(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        static Kind of(String wire) {
            for (Kind k : values()) {
                if (k != OTHER && k.wire.equals(wire)) {
                    return k;
                }
            }
            return OTHER;
        }
    }

    /** The data bound to {@code type} with the shared mapper (a record, a {@code Map}, a {@code String}). */
    public <T> T dataAs(Class<T> type) {
        return Json.mapper().convertValue(data, type);
    }

    /**
     * The frame subscribers receive, shaped as Inngest's realtime API sends it; a chunk carries its
     * {@code stream_id} and text, and also its channel and topic (which the JS SDK needs to route it).
     */
    public ObjectNode toWire() {
        ObjectNode out = Json.nodes().objectNode();
        out.put("kind", kind.wire);
        out.set("data", data);
        if (createdAt != null) {
            out.put("created_at", createdAt.toString());
        }
        if (channel != null) {
            out.put("channel", channel);
        }
        out.put("topic", topic == null ? "" : topic);
        if (runId != null) {
            out.put("run_id", runId);
        }
        if (streamId != null) {
            out.put("stream_id", streamId);
        }
        return out;
    }

    /** Reads a frame; unknown fields are ignored and an unknown kind is {@link Kind#OTHER}. */
    public static RealtimeMessage fromWire(JsonNode frame) {
        if (frame == null || !frame.isObject()) {
            throw new IllegalArgumentException("a realtime message is a JSON object, got " + (frame == null ? "nothing" : frame.getNodeType()));
        }
        Instant created = null;
        String at = text(frame, "created_at");
        if (at != null) {
            try {
                created = Instant.parse(at);
            } catch (DateTimeParseException e) {
                created = null; // a frame's clock is informative only
            }
        }
        return new RealtimeMessage(Kind.of(frame.path("kind").asText("")), text(frame, "channel"), text(frame, "topic"),
                frame.get("data"), text(frame, "run_id"), text(frame, "stream_id"), created);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || !v.isTextual() || v.asText().isEmpty() ? null : v.asText();
    }
}
