package dev.loomstep.internal.run;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import dev.loomstep.NonRetriableException;
import dev.loomstep.Event;
import dev.loomstep.FunctionInput;
import dev.loomstep.middleware.InputContext;
import dev.loomstep.middleware.RunContext;
import dev.loomstep.Function;
import dev.loomstep.protocol.RawRequest;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The run as the handler and middleware see it: events, ids, injected context. */
final class RunInput<T> implements FunctionInput<T>, RunContext, InputContext {
    private final Function<?, ?> function;
    private final String functionId;
    private final String runId;
    private final int attempt;
    private final RawRequest request;
    private final JavaType dataType;
    private final Codec codec;
    private List<Event> events;
    private Map<String, JsonNode> steps;
    private Map<Class<?>, Object> injected;
    private T data;
    private boolean dataBound;

    RunInput(Function<?, ?> function, String functionId, String runId, int attempt, RawRequest request,
             List<Event> events, Map<String, JsonNode> steps, Codec codec) {
        this.function = function;
        this.functionId = functionId;
        this.runId = runId;
        this.attempt = attempt;
        this.request = request;
        this.dataType = function.dataType();
        this.events = events;
        this.steps = steps;
        this.codec = codec;
    }

    /** Makes events and steps mutable for middleware; only done when there is middleware. */
    void makeMutable() {
        events = new ArrayList<>(events);
        steps = new HashMap<>(steps);
    }

    Map<String, JsonNode> memoizedSteps() {
        return steps;
    }

    @Override
    public T data() {
        if (!dataBound) {
            data = bind(event());
            dataBound = true;
        }
        return data;
    }

    private T bind(Event e) {
        if (e == null) {
            return null;
        }
        try {
            return codec.read(e.data(), dataType, "the data of event \"" + e.name() + "\"");
        } catch (IllegalStateException unfit) {
            // The event will not change on a retry: fail the run now, naming the type and the field.
            if (unfit.getCause() instanceof JsonMappingException m) {
                throw new NonRetriableException("the data of event \"" + e.name() + "\" cannot be read as " + dataType.toCanonical()
                        + field(m) + ": " + firstLine(m) + ". Retrying cannot fix the event: correct what sends it, or the"
                        + " handler's input type.", m);
            }
            throw unfit;
        }
    }

    /** " (field \"a.b\")", from where Jackson stopped; "" at the top. */
    private static String field(JsonMappingException m) {
        var path = new StringBuilder();
        for (JsonMappingException.Reference r : m.getPath()) {
            if (r.getFieldName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                path.append('[').append(r.getIndex()).append(']');
            }
        }
        return path.isEmpty() ? "" : " (field \"" + path + "\")";
    }

    private static String firstLine(JsonMappingException m) {
        String s = m.getOriginalMessage();
        return s == null ? m.getClass().getSimpleName() : s.lines().findFirst().orElse("").strip();
    }

    @Override
    public Event event() {
        return events.isEmpty() ? null : events.get(0);
    }

    @Override
    public List<Event> events() {
        return events;
    }

    @Override
    public List<T> dataBatch() {
        var out = new ArrayList<T>(events.size());
        for (Event e : events) {
            out.add(bind(e));
        }
        return out;
    }

    @Override
    public Map<String, JsonNode> steps() {
        return steps;
    }

    @Override
    public String runId() {
        return runId;
    }

    @Override
    public int attempt() {
        return attempt;
    }

    @Override
    public Function<?, ?> function() {
        return function;
    }

    @Override
    public String functionId() {
        return functionId;
    }

    @Override
    public Optional<RawRequest> request() {
        return Optional.ofNullable(request);
    }

    @Override
    public <C> void inject(Class<C> type, C value) {
        if (injected == null) {
            injected = new HashMap<>();
        }
        injected.put(type, value);
    }

    @Override
    public <C> Optional<C> context(Class<C> type) {
        return injected == null ? Optional.empty() : Optional.ofNullable(type.cast(injected.get(type)));
    }
}
