package dev.loomstep.middleware;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import java.util.List;
import java.util.Map;

/** The input of a call request, mutable by {@link RunHooks#transformInput}. */
public interface InputContext {
    /** The events of the run; replace elements to change what the function sees. */
    List<Event> events();

    /**
     * Memoized state by hashed step id, as sent ({@code {"data": …}}, {@code {"error": …}} or a bare
     * value); put or remove entries to change what steps replay.
     */
    Map<String, JsonNode> steps();
}
