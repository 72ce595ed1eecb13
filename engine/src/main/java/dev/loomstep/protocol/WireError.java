package dev.loomstep.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * An error as it travels on the wire: {@code {name, message, stack, cause?, data?}}. The cause chain is
 * nested the way the official SDKs serialise {@code Error.cause}; {@code data} is what an SDK keeps with
 * a step's error for itself (inngestgo: the step's other return value, which it reads back when the
 * error is memoized), kept as sent, as Inngest does.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record WireError(String name, String message, String stack, WireError cause, JsonNode data) {

    public WireError {
        name = name == null || name.isBlank() ? "Error" : name;
        message = message == null ? "" : message;
    }

    public WireError(String name, String message, String stack, WireError cause) {
        this(name, message, stack, cause, null);
    }

    public static WireError of(String name, String message) {
        return new WireError(name, message, null, null);
    }

    /**
     * Serialises a Java exception: name = simple class name (or the remote name an exception
     * carries, see {@link RemoteError}), message, the stack trace text, and the cause chain.
     */
    public static WireError from(Throwable t) {
        return from(t, new IdentityHashMap<>());
    }

    private static WireError from(Throwable t, Map<Throwable, Boolean> seen) {
        if (t == null || seen.put(t, Boolean.TRUE) != null) {
            return null;
        }
        if (t instanceof RemoteError remote && remote.wireError() != null) {
            return remote.wireError();
        }
        var sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        String stack = sw.toString();
        int causedBy = stack.indexOf("\nCaused by: ");
        if (causedBy > 0) {
            stack = stack.substring(0, causedBy + 1);
        }
        String message = t.getMessage() == null ? "" : t.getMessage();
        return new WireError(t.getClass().getSimpleName(), message, stack.strip(), from(t.getCause(), seen));
    }

    /** Implemented by exceptions that stand for an error that came over the wire. */
    public interface RemoteError {
        WireError wireError();
    }
}
