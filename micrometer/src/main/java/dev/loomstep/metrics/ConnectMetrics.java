package dev.loomstep.metrics;

import dev.loomstep.connect.ConnectionState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The Connect worker's state as gauge {@code loomstep.connect.state}, tagged {@code app} and
 * {@code state} (one per {@link ConnectionState}, lower case): 1 for the state the worker is in, 0 for
 * the others, all 0 before the worker was created. Needs {@code loomstep-connect} on the classpath.
 *
 * <pre>{@code
 * var worker = LoomstepConnect.builder(app).build();
 * new ConnectMetrics(app.appId(), worker::state).bindTo(registry);
 * }</pre>
 */
public final class ConnectMetrics implements MeterBinder {
    private final String appId;
    private final Supplier<ConnectionState> state;
    private final Tags extraTags;

    /** @param state the worker's state now, or null while there is no worker yet */
    public ConnectMetrics(String appId, Supplier<ConnectionState> state) {
        this(appId, state, Tags.empty());
    }

    /** As {@link #ConnectMetrics(String, Supplier)}, each gauge with {@code extraTags} too. */
    public ConnectMetrics(String appId, Supplier<ConnectionState> state, Tags extraTags) {
        this.appId = Objects.requireNonNull(appId, "an app id must not be null");
        this.state = Objects.requireNonNull(state, "a state supplier must not be null");
        this.extraTags = Objects.requireNonNull(extraTags, "tags must not be null");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (ConnectionState s : ConnectionState.values()) {
            Gauge.builder("loomstep.connect.state", state, current -> current.get() == s ? 1 : 0)
                    .description("1 for the state the app's Connect worker is in, 0 for the others")
                    .tags(extraTags).tag("app", appId).tag("state", s.name().toLowerCase(Locale.ROOT))
                    .strongReference(true).register(registry);
        }
    }
}
