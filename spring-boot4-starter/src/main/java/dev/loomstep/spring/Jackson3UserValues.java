package dev.loomstep.spring;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.TreeNode;
import com.fasterxml.jackson.core.Version;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.Deserializers;
import com.fasterxml.jackson.databind.jsontype.TypeDeserializer;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import com.fasterxml.jackson.databind.ser.Serializers;
import com.fasterxml.jackson.databind.type.ReferenceType;
import dev.loomstep.Loomstep;
import dev.loomstep.protocol.Json;
import java.io.IOException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.type.TypeFactory;

/**
 * User values through a Jackson 3 mapper, for an engine that speaks Jackson 2.
 *
 * <p>Loomstep's engine takes a Jackson 2 {@code ObjectMapper} for user values ({@code
 * Loomstep.Builder#objectMapper}). Spring Boot 4 configures a Jackson 3 {@code JsonMapper} instead (its
 * {@code spring.jackson.*} properties, {@code JsonMapperBuilderCustomizer} beans, Jackson 3 modules and
 * {@code @JacksonComponent}s). {@link #objectMapper} returns a Jackson 2 mapper that hands every user type
 * to that Jackson 3 mapper: a value is written by Jackson 3 to JSON bytes and read back as the Jackson 2
 * tree Loomstep records; a tree is written out as JSON bytes and read by Jackson 3 as the declared type.
 * So the JSON of a step result, of event data bound to a type, of a function result is exactly what the
 * application's own mapper writes and reads (its naming strategy, serializers, date format...).
 *
 * <p>Jackson 2 keeps: JDK scalars ({@code String}, the boxed primitives, which both write the same),
 * {@code Object} (a map or list), Jackson 2 trees ({@code JsonNode}), collections, maps and arrays
 * themselves (their elements are handed over one by one) and Loomstep's own types. The price is one
 * extra pass over each handed-over value's JSON.
 */
public final class Jackson3UserValues {
    private Jackson3UserValues() {}

    /** A Jackson 2 mapper whose user types are written and read by {@code jackson3}. */
    public static ObjectMapper objectMapper(tools.jackson.databind.ObjectMapper jackson3) {
        ObjectMapper mapper = Json.mapper().copy();
        mapper.registerModule(new Bridge(jackson3));
        return mapper;
    }

    /** True for the types handed to Jackson 3. */
    static boolean handedOver(Class<?> raw) {
        if (raw.isPrimitive() || raw == String.class || raw == Object.class || raw == Boolean.class || raw == Character.class
                || raw == Integer.class || raw == Long.class || raw == Short.class || raw == Byte.class || raw == Double.class
                || raw == Float.class || raw == Void.class || raw.isArray()) {
            return false;
        }
        if (TreeNode.class.isAssignableFrom(raw)) {
            return false;
        }
        return !raw.getName().startsWith("com.fasterxml.jackson.") && !fromLoomstepsEngine(raw);
    }

    /** Loomstep's own types (by the jar they come from, not their package: an application's may share it). */
    private static boolean fromLoomstepsEngine(Class<?> raw) {
        var source = raw.getProtectionDomain().getCodeSource();
        var engine = Loomstep.class.getProtectionDomain().getCodeSource();
        return source != null && engine != null && java.util.Objects.equals(source.getLocation(), engine.getLocation());
    }

    private static final class Bridge extends Module {
        private final tools.jackson.databind.ObjectMapper jackson3;

        Bridge(tools.jackson.databind.ObjectMapper jackson3) {
            this.jackson3 = jackson3;
        }

        @Override
        public String getModuleName() {
            return "loomstep-jackson3-user-values";
        }

        @Override
        public Version version() {
            return Version.unknownVersion();
        }

        @Override
        public void setupModule(SetupContext context) {
            context.addSerializers(new Serializers.Base() {
                @Override
                public JsonSerializer<?> findSerializer(SerializationConfig config, JavaType type, BeanDescription beanDesc) {
                    return handedOver(type.getRawClass()) ? new Writer(jackson3) : null;
                }

                @Override
                public JsonSerializer<?> findReferenceSerializer(SerializationConfig config, ReferenceType type, BeanDescription beanDesc,
                                                                 TypeSerializer contentTypeSerializer, JsonSerializer<Object> contentValueSerializer) {
                    return handedOver(type.getRawClass()) ? new Writer(jackson3) : null;
                }
            });
            context.addDeserializers(new Deserializers.Base() {
                @Override
                public JsonDeserializer<?> findBeanDeserializer(JavaType type, DeserializationConfig config, BeanDescription beanDesc) {
                    return handedOver(type.getRawClass()) ? new Reader(jackson3, type) : null;
                }

                @Override
                public JsonDeserializer<?> findEnumDeserializer(Class<?> type, DeserializationConfig config, BeanDescription beanDesc) {
                    return handedOver(type) ? new Reader(jackson3, config.constructType(type)) : null;
                }

                @Override
                public JsonDeserializer<?> findReferenceDeserializer(ReferenceType type, DeserializationConfig config, BeanDescription beanDesc,
                                                                     TypeDeserializer contentTypeDeserializer, JsonDeserializer<?> contentDeserializer) {
                    return handedOver(type.getRawClass()) ? new Reader(jackson3, type) : null;
                }

                @Override
                public boolean hasDeserializerFor(DeserializationConfig config, Class<?> valueType) {
                    return handedOver(valueType);
                }
            });
        }
    }

    /** Writes a value with Jackson 3 and emits the JSON as Jackson 2 tokens. */
    private static final class Writer extends JsonSerializer<Object> {
        private final tools.jackson.databind.ObjectMapper jackson3;

        Writer(tools.jackson.databind.ObjectMapper jackson3) {
            this.jackson3 = jackson3;
        }

        @Override
        public void serialize(Object value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            byte[] json;
            try {
                json = jackson3.writeValueAsBytes(value);
            } catch (JacksonException e) {
                throw JsonMappingException.from(gen, "the application's Jackson 3 mapper cannot write " + value.getClass().getName()
                        + ": " + e.getOriginalMessage(), e);
            }
            JsonNode tree = Json.mapper().readTree(json);
            provider.defaultSerializeValue(tree, gen);
        }
    }

    /** Reads the JSON at hand as a Jackson 2 tree and hands its bytes to Jackson 3 for the declared type. */
    private static final class Reader extends JsonDeserializer<Object> {
        private final tools.jackson.databind.ObjectMapper jackson3;
        private final tools.jackson.databind.JavaType type;
        private final JavaType jackson2Type;

        Reader(tools.jackson.databind.ObjectMapper jackson3, JavaType type) {
            this.jackson3 = jackson3;
            this.jackson2Type = type;
            this.type = convert(jackson3.getTypeFactory(), type);
        }

        @Override
        public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode tree = ctxt.readTree(p);
            try {
                return jackson3.readValue(Json.mapper().writeValueAsBytes(tree), type);
            } catch (JacksonException e) {
                throw JsonMappingException.from(p, "the application's Jackson 3 mapper cannot read " + jackson2Type.toCanonical()
                        + ": " + e.getOriginalMessage(), e);
            }
        }

        @Override
        public boolean isCachable() {
            return true;
        }
    }

    /** The same type in Jackson 3's terms: its class and, recursively, its type parameters. */
    static tools.jackson.databind.JavaType convert(TypeFactory types, JavaType type) {
        if (type.isArrayType()) {
            return types.constructArrayType(convert(types, type.getContentType()));
        }
        int n = type.containedTypeCount();
        if (n == 0 || type.getRawClass().getTypeParameters().length != n) {
            return types.constructType(type.getRawClass());
        }
        var parameters = new tools.jackson.databind.JavaType[n];
        for (int i = 0; i < n; i++) {
            parameters[i] = convert(types, type.containedType(i));
        }
        return types.constructParametricType(type.getRawClass(), parameters);
    }
}
