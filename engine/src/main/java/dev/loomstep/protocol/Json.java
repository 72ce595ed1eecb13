package dev.loomstep.protocol;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdScalarSerializer;
import java.io.IOException;
import java.time.Duration;

/**
 * The one Jackson mapper every Loomstep module uses for the wire. Configured once: unknown fields are
 * ignored (executors and SDKs add fields freely), nulls are left out of our own records, and
 * {@code java.time} types are written as ISO-8601 strings. Nulls in user data are kept (a function
 * that returns {@code {"got": null}} answers exactly that); our own records leave their absent fields
 * out with {@code @JsonInclude(NON_NULL)}. It also (de)serialises user values, unless the app brings its
 * own mapper for them ({@code Loomstep.Builder#objectMapper}); the wire records always go through this one.
 */
public final class Json {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .addModule(new SimpleModule("loomstep-time-strings")
                    .addSerializer(Duration.class, new TimeStringSerializer())
                    .addDeserializer(Duration.class, new TimeStringDeserializer()))
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .build();

    private Json() {}

    /** The shared mapper; do not reconfigure it. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static JsonNodeFactory nodes() {
        return MAPPER.getNodeFactory();
    }

    /** Converts any value (a record, a map, a string, null) to a JSON tree. */
    public static JsonNode toTree(Object value) {
        return value == null ? nodes().nullNode() : MAPPER.valueToTree(value);
    }

    /** Serialises a value to UTF-8 JSON bytes. */
    public static byte[] toBytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise " + value.getClass().getName() + " to JSON: " + e.getOriginalMessage(), e);
        }
    }

    public static String toString(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise " + value.getClass().getName() + " to JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Durations travel as Inngest time strings ("1h30m"), never as ISO-8601 or numbers. */
    private static final class TimeStringSerializer extends StdScalarSerializer<Duration> {
        TimeStringSerializer() {
            super(Duration.class);
        }

        @Override
        public void serialize(Duration value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(TimeStrings.format(value));
        }
    }

    /**
     * For a duration that is a durable wait in a config (cancelOn's timeout): written in whole seconds, as
     * {@link TimeStrings#durableWait} says. Put on the record component with {@code @JsonSerialize(using = ...)}.
     */
    public static final class DurableWaitSerializer extends StdScalarSerializer<Duration> {
        public DurableWaitSerializer() {
            super(Duration.class);
        }

        @Override
        public void serialize(Duration value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(TimeStrings.durableWait(value));
        }
    }

    private static final class TimeStringDeserializer extends StdScalarDeserializer<Duration> {
        TimeStringDeserializer() {
            super(Duration.class);
        }

        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            try {
                return TimeStrings.parse(p.getValueAsString());
            } catch (IllegalArgumentException e) {
                return (Duration) ctxt.handleWeirdStringValue(Duration.class, p.getValueAsString(), e.getMessage());
            }
        }
    }
}
