package dev.loomstep.internal.run;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBase;
import com.fasterxml.jackson.databind.deser.DefaultDeserializationContext;
import com.fasterxml.jackson.databind.ser.impl.UnknownSerializer;
import java.lang.reflect.Modifier;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import dev.loomstep.NonRetriableException;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Refuses a result that would be recorded as something other than what it is: a step result that
 * does not read back as the step's declared type, or a value Jackson writes as {@code {}} because it
 * sees no properties in it. The check runs only when a step body or the function has just run (never
 * on a memoized replay) and fails the step before anything is recorded. A programming error is not
 * fixed by running the side effect again, so the failure is a {@link NonRetriableException}: the
 * step fails for good and the body is not run again.
 */
final class Results {
    static final String FIX = "Return a record, a Jackson bean (getters, and a no-argument constructor or @JsonCreator),"
            + " or declare generic types with a TypeReference.";

    /** Values these types hold are written and read back exactly; no round trip needed. */
    private static final Set<Class<?>> EXACT = Set.of(String.class, Integer.class, Long.class, Boolean.class,
            Short.class, Byte.class, Character.class);

    private Results() {}

    /**
     * The JSON to record for step {@code id}'s result, after checking that it reads back as {@code declared}
     * through the app's {@code codec} (the mapper that will read it on replay).
     */
    static JsonNode ofStep(Codec codec, String id, JavaType declared, Object value) {
        if (value == null) {
            return null;
        }
        String who = "step \"" + id + "\"";
        JsonNode written = write(codec, who, value);
        Class<?> raw = declared.getRawClass();
        if (raw == JsonNode.class || raw.isInstance(written) || EXACT.contains(value.getClass()) && raw == value.getClass()) {
            return written;
        }
        Object back;
        try {
            back = codec.reader(declared).readValue(written);
        } catch (IOException e) {
            throw new UnfitResultException(who + " returned " + value.getClass().getName() + ", which does not read back as "
                    + declared.toCanonical() + " (" + firstLine(e) + "), so its replay would fail after the side effect. " + FIX);
        }
        String lost = Diff.first(written, write(codec, who, back));
        if (lost != null) {
            throw new UnfitResultException(who + " returned " + value.getClass().getName() + ", which reads back as "
                    + declared.toCanonical() + " without all of its content (it differs at " + lost + "). " + FIX);
        }
        return written;
    }

    /**
     * Refuses, before step {@code id}'s body runs, a declared result type that no value could be recorded as
     * and read back: a class without properties Jackson sees, or one it cannot construct. The check after
     * the body ({@link #ofStep}) stays for what only the value shows (a subclass, an Object, a map's content).
     */
    static void checkDeclared(Codec codec, String id, JavaType declared) {
        String problem = codec.declaredProblem(declared);
        if (!problem.isEmpty()) {
            throw new UnfitResultException("step \"" + id + "\" declares its result as " + declared.toCanonical() + ", " + problem
                    + "; its body was not run. " + FIX);
        }
    }

    /** What is wrong with {@code type} as a recorded result, or "" (types only a value can judge pass). */
    static String problemOf(ObjectMapper mapper, JavaType type) {
        if (type.isContainerType() || type.isReferenceType()) {
            JavaType content = type.getContentType();
            String inside = content == null ? "" : problemOf(mapper, content);
            return inside.startsWith("which") ? "whose content type " + content.toCanonical() + inside.substring("which".length()) : inside;
        }
        Class<?> raw = type.getRawClass();
        if (type.isPrimitive() || raw.isEnum() || raw.isArray() || raw.isInterface() || Modifier.isAbstract(raw.getModifiers())
                || raw.getName().startsWith("java.") || JsonNode.class.isAssignableFrom(raw)) {
            return ""; // the JDK's types have their (de)serialisers; abstract ones are judged by the value
        }
        try {
            if (mapper.getSerializerProviderInstance().findValueSerializer(type) instanceof UnknownSerializer) {
                return "which has no properties Jackson can see (private fields without getters?) and would be recorded as {}";
            }
            DeserializationContext reading = ((DefaultDeserializationContext) mapper.getDeserializationContext())
                    .createDummyInstance(mapper.getDeserializationConfig());
            if (reading.findRootValueDeserializer(type) instanceof BeanDeserializerBase bean
                    && !bean.getValueInstantiator().canInstantiate()) {
                return "which Jackson can write but not construct when it reads it back on replay"
                        + " (no no-argument constructor, @JsonCreator or record constructor)";
            }
        } catch (JsonMappingException e) {
            String m = e.getOriginalMessage();
            return "which Jackson cannot handle (" + (m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse("").strip()) + ")";
        } catch (RuntimeException e) {
            return ""; // no verdict before the value exists: the check after the body decides
        }
        return "";
    }

    /** The JSON of the function's result, refusing values Jackson would write without their content. */
    static JsonNode ofFunction(Codec codec, String functionId, Object value) {
        return value == null ? null : write(codec, "function \"" + functionId + "\"", value);
    }

    private static JsonNode write(Codec codec, String who, Object value) {
        if (value instanceof JsonNode node) {
            return node;
        }
        try {
            var buffer = new TokenBuffer(codec.mapper(), false);
            codec.strictWriter().writeValue(buffer, value);
            try (JsonParser p = buffer.asParser()) {
                return codec.mapper().readTree(p);
            }
        } catch (InvalidDefinitionException e) {
            Class<?> culprit = e.getType() == null ? value.getClass() : e.getType().getRawClass();
            if (culprit == Optional.class) {
                throw new UnfitResultException(who + " returned " + value.getClass().getName() + " holding an Optional,"
                        + " which is not recorded: return the value or null and wrap it after the step.");
            }
            String where = culprit == value.getClass() ? "" : " (inside it, " + culprit.getName() + ")";
            throw new UnfitResultException(who + " returned " + value.getClass().getName() + where
                    + ", which has no properties Jackson can see (private fields without getters?) and would be recorded as {}. " + FIX);
        } catch (IOException e) {
            throw new UnfitResultException(who + " returned " + value.getClass().getName()
                    + ", which cannot be written as JSON (" + firstLine(e) + "). " + FIX);
        }
    }

    private static String firstLine(IOException e) {
        String m = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse("").strip();
    }

    /** The first place two JSON trees differ, numbers compared by value. */
    static final class Diff {
        private Diff() {}

        static String first(JsonNode a, JsonNode b) {
            return first(a, b, "");
        }

        private static String first(JsonNode a, JsonNode b, String at) {
            String here = at.isEmpty() ? "/" : at;
            if (a.isNumber() && b.isNumber()) {
                return a.decimalValue().compareTo(b.decimalValue()) == 0 ? null : here;
            }
            if (a.getNodeType() != b.getNodeType()) {
                return here;
            }
            if (a.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                    var e = it.next();
                    JsonNode other = b.get(e.getKey());
                    if (other == null && e.getValue().isNull()) {
                        continue; // an absent field reads back as null
                    }
                    String d = other == null ? at + "/" + e.getKey() : first(e.getValue(), other, at + "/" + e.getKey());
                    if (d != null) {
                        return d;
                    }
                }
                return null; // fields the declared type adds with defaults lose nothing
            }
            if (a.isArray()) {
                if (a.size() != b.size()) {
                    return here;
                }
                for (int i = 0; i < a.size(); i++) {
                    String d = first(a.get(i), b.get(i), at + "/" + i);
                    if (d != null) {
                        return d;
                    }
                }
                return null;
            }
            return a.equals(b) ? null : here;
        }
    }

    /** A result that would not be recorded as it is; final, as rerunning the body cannot fix it. */
    static final class UnfitResultException extends NonRetriableException {
        UnfitResultException(String message) {
            super(message);
        }
    }
}
