package dev.loomstep.test;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.EventSender;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.middleware.Middleware;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a function in-process the way an executor would — no HTTP, no devserver, milliseconds per
 * test. The real engine answers every call request ({@link Loomstep#call}); this class plays the
 * executor: it memoizes step results, makes the targeted calls of a parallel fan-out, retries with the
 * function's retries and Inngest's backoff, skips sleeps and waits in virtual time, answers
 * {@code waitForEvent} from the events a test supplies (matching the {@code if} with the same CEL as the
 * devserver), answers {@code invoke} by a stub or by running the invoked function here, records
 * {@code sendEvent}, and runs the onFailure handler when the function fails for good.
 *
 * <pre>{@code
 * var engine = TestEngine.builder(AccountCreatedFlow.function(emails, Duration.ofSeconds(1)))
 *     .mock("on-user-created", Mock.value(true))
 *     .build();
 * RunResult r = engine.trigger(Event.of("api/account.created", new AccountCreated("u_1", "ada@example.com", "Ada")))
 *     .run();                                                   // nobody answers the wait: its 72 h pass
 * assertEquals("nudged", r.output(Outcome.class).followUp());
 * }</pre>
 *
 * <p>An engine may run many executions, one after the other (not concurrently).
 */
public final class TestEngine {
    /** Where virtual time starts unless {@link Builder#startAt} says otherwise. */
    public static final Instant DEFAULT_START = Instant.parse("2030-01-01T00:00:00Z");

    final Loomstep app;
    final String functionId;
    final Map<String, Mock> mocks;
    final Map<String, java.util.function.Function<JsonNode, Object>> stubs;
    final Instant start;
    private final AtomicLong ids = new AtomicLong();
    private volatile List<Event> sink;

    private TestEngine(Builder b) {
        var all = new ArrayList<Function<?, ?>>();
        all.add(b.function);
        for (Function<?, ?> f : b.others) {
            if (f != b.function) {
                all.add(f);
            }
        }
        var appBuilder = Loomstep.builder(b.appId).dev(null).functions(all).eventSender(new EventSender() {
            @Override
            public List<String> send(List<Event> events) {
                return record(events);
            }

            /** No run of the test engine waits for a signal (see {@code waitForSignal}): nobody is resumed. */
            @Override
            public Optional<String> sendSignal(String signal, JsonNode data) {
                return Optional.empty();
            }

            /** Realtime has no subscribers in the test engine: a publish is accepted; the step's output is its data. */
            @Override
            public void publish(String channel, String topic, String runId, JsonNode data) {
            }
        });
        b.middleware.forEach(appBuilder::middleware);
        this.app = appBuilder.build();
        this.functionId = b.appId + "-" + b.function.id();
        this.mocks = Map.copyOf(b.mocks);
        this.stubs = Map.copyOf(b.stubs);
        this.start = b.start;
    }

    /** An engine for {@code function}; add the functions it invokes with {@link Builder#functions}. */
    public static Builder builder(Function<?, ?> function) {
        return new Builder(function);
    }

    /** A run triggered by one event, or by a batch of events (the first is {@code input.event()}). */
    public Execution trigger(Event... events) {
        if (events.length == 0) {
            throw new IllegalArgumentException("a run needs at least one triggering event");
        }
        return new Execution(this, List.of(events));
    }

    /** A run triggered by an event named {@code name} with {@code data}. */
    public Execution trigger(String name, Object data) {
        return trigger(Event.of(name, data));
    }

    /** The app the engine built around the function; its composite ids are {@code appId-fnId}. */
    public Loomstep app() {
        return app;
    }

    String nextId(String prefix) {
        return prefix + "-" + ids.incrementAndGet();
    }

    /** Sends go to the run whose call is in flight: an engine runs one call request at a time. */
    void sendTo(List<Event> events) {
        sink = events;
    }

    private List<String> record(List<Event> events) {
        List<Event> target = sink;
        if (target == null) {
            throw new IllegalStateException("events were sent outside a run of the test engine: " + events);
        }
        var out = new ArrayList<String>();
        synchronized (target) {
            for (Event e : events) {
                Event sent = e.id() == null ? e.withId(nextId("sent")) : e;
                target.add(sent);
                out.add(sent.id());
            }
        }
        return out;
    }

    /** Configures a {@link TestEngine}. */
    public static final class Builder {
        private final Function<?, ?> function;
        private final List<Function<?, ?>> others = new ArrayList<>();
        private final List<Middleware> middleware = new ArrayList<>();
        private final Map<String, Mock> mocks = new HashMap<>();
        private final Map<String, java.util.function.Function<JsonNode, Object>> stubs = new HashMap<>();
        private String appId = "test-app";
        private Instant start = DEFAULT_START;

        private Builder(Function<?, ?> function) {
            this.function = Objects.requireNonNull(function, "the function under test must not be null");
        }

        /** Other functions of the app: what the function invokes (run here, for real) or its peers. */
        public Builder functions(Function<?, ?>... fns) {
            others.addAll(List.of(fns));
            return this;
        }

        /** The app id (default {@code test-app}); composite function ids are {@code appId-fnId}. */
        public Builder appId(String id) {
            appId = Objects.requireNonNull(id, "an app id must not be null");
            return this;
        }

        /** Client middleware, as on {@link Loomstep.Builder#middleware}. */
        public Builder middleware(Middleware m) {
            middleware.add(Objects.requireNonNull(m, "a middleware must not be null"));
            return this;
        }

        /**
         * Answers every step with id {@code stepId} ({@code run}, {@code sendEvent} or {@code invoke})
         * by {@code mock} instead of its body or target. While any step is mocked, the engine asks the SDK
         * to plan steps rather than run them at once (as executors do after a fan-out), so that a mocked
         * body never runs.
         */
        public Builder mock(String stepId, Mock mock) {
            mocks.put(Objects.requireNonNull(stepId, "a step id must not be null"), Objects.requireNonNull(mock, "a mock must not be null"));
            return this;
        }

        /**
         * Answers {@code invoke} of {@code functionId} ({@code "score-user"} of this app, or any composite
         * id) with {@code answer(data)}; an exception it throws is the invoke's error. Without a stub, an
         * invoked function added with {@link #functions} runs in this engine.
         */
        public Builder stubInvoke(String functionId, java.util.function.Function<JsonNode, Object> answer) {
            stubs.put(Objects.requireNonNull(functionId, "a function id must not be null"), Objects.requireNonNull(answer, "an answer must not be null"));
            return this;
        }

        /** Where virtual time starts (default {@link #DEFAULT_START}): the trigger's {@code ts}, sleeps' base. */
        public Builder startAt(Instant instant) {
            start = Objects.requireNonNull(instant, "a start instant must not be null");
            return this;
        }

        public TestEngine build() {
            return new TestEngine(this);
        }
    }
}
