package dev.loomstep.encryption;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loomstep.Event;
import dev.loomstep.encryption.internal.Envelopes;
import dev.loomstep.middleware.InputContext;
import dev.loomstep.middleware.Middleware;
import dev.loomstep.middleware.OutputContext;
import dev.loomstep.middleware.RunContext;
import dev.loomstep.middleware.RunHooks;
import dev.loomstep.middleware.StepInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * End-to-end encryption of what a function hands to the executor, in the format of the npm package
 * {@code @inngest/middleware-encryption} 2.x, so Java and JS functions can share encrypted runs. It
 * encrypts every step's result, the function's result, the {@code encrypted} field of the data of events
 * sent (by {@code step.sendEvent} or the client) and of {@code step.invoke} payloads; it decrypts those
 * wherever the function reads them: memoized step results, and any encrypted top-level field of the
 * run's event data. {@code null} results are not encrypted, nor are errors, event names and ids.
 *
 * <pre>{@code
 * var app = Loomstep.builder("shop")
 *         .middleware(EncryptionMiddleware.builder()
 *                 .key(System.getenv("ENCRYPTION_KEY"))
 *                 .fallbackKeys(List.of(System.getenv("OLD_ENCRYPTION_KEY")))
 *                 .build())
 *         .functions(checkout)
 *         .build();
 * }</pre>
 */
public final class EncryptionMiddleware implements Middleware {
    /** The field of event data that is encrypted unless {@link Builder#eventField} says otherwise. */
    public static final String DEFAULT_EVENT_FIELD = "encrypted";

    private final Envelopes envelopes;
    private final boolean decryptOnly;
    /** Stateless, so one instance serves every request. */
    private final RunHooks hooks = new Hooks();

    private EncryptionMiddleware(Envelopes envelopes, boolean decryptOnly) {
        this.envelopes = envelopes;
        this.decryptOnly = decryptOnly;
    }

    /** A builder; give it a {@link Builder#key key} or a {@link Builder#strategy strategy}. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public RunHooks onRun(RunContext run) {
        return hooks;
    }

    @Override
    public void beforeSendEvents(List<Event> events) {
        if (decryptOnly) {
            return;
        }
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            ObjectNode sealed = envelopes.sealEventData(e.data());
            if (sealed != e.data()) {
                events.set(i, new Event(e.id(), e.name(), sealed, e.user(), e.ts(), e.v()));
            }
        }
    }

    /** The hooks of one request: decrypt what comes in, encrypt what goes out. */
    private final class Hooks implements RunHooks {
        @Override
        public void transformInput(InputContext input) {
            List<Event> events = input.events();
            for (int i = 0; i < events.size(); i++) {
                Event e = events.get(i);
                ObjectNode opened = envelopes.openEventData(e.data(), "the data of event \"" + e.name() + "\"");
                if (opened != e.data()) {
                    events.set(i, new Event(e.id(), e.name(), opened, e.user(), e.ts(), e.v()));
                }
            }
        }

        @Override
        public JsonNode transformStepResult(String stepId, JsonNode result) {
            return envelopes.open(result, "the result of step \"" + stepId + "\"");
        }

        @Override
        public void transformOutput(OutputContext output) {
            JsonNode result = output.result();
            if (decryptOnly || output.error() != null || result == null || result.isNull() || result.isMissingNode()) {
                return;
            }
            output.result(envelopes.seal(result));
        }

        @Override
        public void transformInvokePayload(StepInfo step, ObjectNode payload) {
            if (!decryptOnly && payload.get("data") instanceof ObjectNode data) {
                payload.set("data", envelopes.sealEventData(data));
            }
        }
    }

    /** Options of an {@link EncryptionMiddleware}; {@link #build()} checks them. */
    public static final class Builder {
        private String key;
        private List<String> fallbackKeys = List.of();
        private EncryptionStrategy strategy;
        private boolean decryptOnly;
        private String eventField = DEFAULT_EVENT_FIELD;

        private Builder() {}

        /** The key that encrypts (and decrypts), any string; it is hashed to the cipher's key size. */
        public Builder key(String key) {
            this.key = key;
            return this;
        }

        /** Keys that only decrypt, tried after {@link #key}: the old key while you rotate to a new one. */
        public Builder fallbackKeys(List<String> keys) {
            this.fallbackKeys = List.copyOf(new ArrayList<>(Objects.requireNonNullElse(keys, List.of())));
            return this;
        }

        /** Another scheme instead of {@link LibsodiumStrategy} on {@link #key}; then no key is needed. */
        public Builder strategy(EncryptionStrategy strategy) {
            this.strategy = strategy;
            return this;
        }

        /**
         * Only decrypt, never encrypt: the first step of rolling the middleware out (every service can
         * read encrypted data before any writes it), or of taking it out.
         */
        public Builder decryptOnly(boolean decryptOnly) {
            this.decryptOnly = decryptOnly;
            return this;
        }

        /** The top-level field of event data (and invoke data) that is encrypted; default {@code "encrypted"}. */
        public Builder eventField(String field) {
            if (field == null || field.isBlank()) {
                throw new IllegalArgumentException("the encrypted event field must not be blank");
            }
            this.eventField = field;
            return this;
        }

        /**
         * @throws IllegalArgumentException when there is neither a strategy nor a non-blank key, or both
         */
        public EncryptionMiddleware build() {
            if (strategy != null && (key != null || !fallbackKeys.isEmpty())) {
                throw new IllegalArgumentException("give the encryption middleware either keys or a strategy, not both");
            }
            EncryptionStrategy s = strategy != null ? strategy : LibsodiumStrategy.of(key, fallbackKeys);
            return new EncryptionMiddleware(new Envelopes(s, eventField), decryptOnly);
        }
    }
}
