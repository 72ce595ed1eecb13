package dev.loomstep.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.atomic.AtomicInteger;

/** One app's call requests running now, and the gauge that shows them (it holds the counter strongly). */
final class InFlight {
    final AtomicInteger count = new AtomicInteger();

    InFlight(MeterRegistry registry, Tags tags) {
        Gauge.builder("loomstep.calls.in.flight", count, AtomicInteger::get)
                .description("Call requests of this app running now")
                .tags(tags).strongReference(true).register(registry);
    }
}
