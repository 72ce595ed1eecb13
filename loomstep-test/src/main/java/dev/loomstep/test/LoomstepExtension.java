package dev.loomstep.test;

import dev.loomstep.Loomstep;
import dev.loomstep.devserver.DevServer;
import dev.loomstep.devserver.MovableClock;
import dev.loomstep.undertow.LoomstepServer;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * End-to-end tests on the real devserver: one embedded devserver (in memory) per test class, on a
 * movable clock, with the app under test served on a free port and synced; a {@link DevHandle} is
 * injected into test methods; between tests the devserver is reset ({@link DevServer#reset()}).
 *
 * <pre>{@code
 * @RegisterExtension
 * static LoomstepExtension loomstep = LoomstepExtension.app(() -> Loomstep.builder("my-app").functions(accountCreated));
 *
 * @Test
 * void nudgesAfter72Hours(DevHandle dev) {
 *     String eventId = dev.send(Event.of("api/account.created", user));
 *     dev.awaitStep(eventId, "wait-for-activity");
 *     dev.advanceTime(Duration.ofHours(73));
 *     assertEquals("nudged", dev.awaitRun(eventId).output().path("followUp").asText());
 * }
 * }</pre>
 */
public final class LoomstepExtension implements BeforeAllCallback, AfterAllCallback, AfterEachCallback, ParameterResolver {
    private final Supplier<Loomstep.Builder> app;
    private Instant start = TestEngine.DEFAULT_START;
    private Duration deadline = Duration.ofSeconds(30);
    private DevServer dev;
    private LoomstepServer server;
    private DevHandle handle;

    private LoomstepExtension(Supplier<Loomstep.Builder> app) {
        this.app = app;
    }

    /** The app under test; the extension points it at the devserver ({@code dev(url)}) and builds it. */
    public static LoomstepExtension app(Supplier<Loomstep.Builder> app) {
        return new LoomstepExtension(Objects.requireNonNull(app, "an app supplier must not be null"));
    }

    /** Where the devserver's clock starts (default {@link TestEngine#DEFAULT_START}). */
    public LoomstepExtension startAt(Instant instant) {
        start = Objects.requireNonNull(instant, "a start instant must not be null");
        return this;
    }

    /** How long the handle's waits poll before failing the test (default 30 s). */
    public LoomstepExtension deadline(Duration d) {
        deadline = Objects.requireNonNull(d, "a deadline must not be null");
        return this;
    }

    /** The handle, for use outside test parameters (in {@code @BeforeEach}, say). */
    public DevHandle handle() {
        if (handle == null) {
            throw new IllegalStateException("the devserver starts before the first test; register the extension on a static field");
        }
        return handle;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        var clock = new MovableClock(start);
        dev = DevServer.builder().port(0).inMemory().retryDelayScale(0.01).clock(clock).start();
        try {
            Loomstep built = app.get().dev(dev.url()).build();
            server = LoomstepServer.builder(built).port(0).start();
            server.register(dev.url());
            handle = new DevHandle(dev, built, clock, deadline);
        } catch (RuntimeException e) {
            afterAll(context);
            throw e;
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (dev != null) {
            dev.reset();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (dev != null) {
                dev.close();
            }
            server = null;
            dev = null;
            handle = null;
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == DevHandle.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return handle();
    }
}
