package dev.loomstep.devserver;

import dev.loomstep.Checkpointing;
import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.Invoke;
import dev.loomstep.Loomstep;
import dev.loomstep.NonRetriableException;
import dev.loomstep.Trigger;
import dev.loomstep.WaitForEvent;
import dev.loomstep.connect.LoomstepConnect;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * Loomstep's Connect worker ({@link LoomstepConnect}, in this JVM) serving app {@code conn} to a
 * devserver's gateway: the Loomstep counterpart of {@link JsConnectWorker}, with the same eight
 * functions as {@code testkit/js-peer/connect-worker.js}, so one suite of scenarios runs against both.
 */
final class LoomstepConnectWorker implements AutoCloseable {
    /** How often the {@code slow} function's second step started, across every worker of this JVM. */
    static final AtomicInteger SLOW_STEP_RUNS = new AtomicInteger();

    final LoomstepConnect connect;
    /** The {@code slow} function's second step waits for this (at most 30 s), so a test decides when it ends. */
    volatile CountDownLatch releaseSlow = new CountDownLatch(0);
    final CountDownLatch inSlowStep = new CountDownLatch(1);
    /** How long the {@code slow} function's second step takes besides {@link #releaseSlow} (JS: {@code SLOW_MS}). */
    volatile long slowMillis;

    private LoomstepConnectWorker(Config config, String instanceId, boolean checkpointing,
                                  UnaryOperator<LoomstepConnect.Builder> more) {
        var app = Loomstep.builder("conn").config(config).checkpointing(checkpointing ? Checkpointing.defaults() : Checkpointing.off())
                .functions(functions(instanceId)).build();
        this.connect = more.apply(LoomstepConnect.builder(app).instanceId(instanceId).connectTimeout(Duration.ofSeconds(30))
                .reconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(1))).build();
    }

    /** Starts a worker against {@code dev} and returns once its connection is ready. */
    static LoomstepConnectWorker start(DevServer dev, String instanceId, boolean checkpointing) {
        return start(dev, instanceId, checkpointing, b -> b);
    }

    static LoomstepConnectWorker start(DevServer dev, String instanceId, boolean checkpointing,
                                       UnaryOperator<LoomstepConnect.Builder> more) {
        return start(dev.url(), instanceId, checkpointing, more);
    }

    /** A worker of the devserver at {@code devUrl} (one in another process). */
    static LoomstepConnectWorker start(String devUrl, String instanceId, boolean checkpointing,
                                       UnaryOperator<LoomstepConnect.Builder> more) {
        return start(Config.from(Map.of("INNGEST_DEV", devUrl)), instanceId, checkpointing, more);
    }

    /** A worker configured as by {@code INNGEST_*} variables: cloud mode against a production-mode devserver, say. */
    static LoomstepConnectWorker start(Config config, String instanceId, boolean checkpointing,
                                       UnaryOperator<LoomstepConnect.Builder> more) {
        var worker = new LoomstepConnectWorker(config, instanceId, checkpointing, more);
        worker.connect.connect();
        return worker;
    }

    private List<Function<?, ?>> functions(String instanceId) {
        var on = (java.util.function.Function<String, Trigger>) Trigger::event;
        var steps = Function.builder("steps").trigger(on.apply("conn/steps")).handler((in, step) -> {
            int a = step.run("a", Integer.class, () -> in.data().path("n").asInt());
            int b = step.run("b", Integer.class, () -> a * 2);
            step.sleep("nap", Duration.ofSeconds(1));
            return Map.of("sum", a + b);
        });
        var wait = Function.builder("wait").trigger(on.apply("conn/wait")).handler((in, step) -> {
            var got = step.waitForEvent("w", WaitForEvent.of("conn/approve").timeout(Duration.ofHours(1))
                    .ifExpression("event.data.id == async.data.id"));
            return Map.of("approved", got.map(e -> (Object) e.data().path("id").asInt()).orElse("none"));
        });
        var child = Function.builder("child").trigger(on.apply("conn/child"))
                .handler((in, step) -> Map.of("doubled", in.data().path("v").asInt() * 2));
        var invoke = Function.builder("invoke").trigger(on.apply("conn/invoke")).handler((in, step) -> Map.of("result",
                step.invoke("call-child", Map.class, Invoke.function(child).data(Map.of("v", 21)).timeout(Duration.ofMinutes(1)))));
        var parallel = Function.builder("parallel").trigger(on.apply("conn/parallel")).handler((in, step) -> {
            List<Callable<Integer>> parts = List.of(() -> step.run("p1", Integer.class, () -> 1),
                    () -> step.run("p2", Integer.class, () -> 2), () -> step.run("p3", Integer.class, () -> 3));
            return Map.of("sum", step.parallel(parts).stream().mapToInt(Integer::intValue).sum());
        });
        var flaky = Function.builder("flaky").retries(3).trigger(on.apply("conn/flaky")).handler((in, step) ->
                Map.of("out", step.run("a", String.class, () -> {
                    if (in.attempt() < 2) {
                        throw new IllegalStateException("boom " + in.attempt());
                    }
                    return "fine on attempt " + in.attempt();
                })));
        var doomed = Function.builder("doomed").retries(0).trigger(on.apply("conn/doomed")).handler((in, step) ->
                step.run("a", String.class, () -> {
                    throw new NonRetriableException("no way");
                }));
        var slow = Function.builder("slow").retries(3).trigger(on.apply("conn/slow")).handler((in, step) -> {
            String first = step.run("first", String.class, () -> "one");
            String second = step.run("second", String.class, () -> {
                SLOW_STEP_RUNS.incrementAndGet();
                inSlowStep.countDown();
                if (slowMillis > 0) {
                    Thread.sleep(slowMillis); // outlives the lease unless extended
                }
                releaseSlow.await(30, TimeUnit.SECONDS);
                return "two from " + instanceId;
            });
            return Map.of("first", first, "second", second);
        });
        return List.of(steps, wait, child, invoke, parallel, flaky, doomed, slow);
    }

    /** Drains (in-flight requests reply) and closes, as SIGTERM with {@code drainOnShutdown()} does. */
    @Override
    public void close() {
        releaseSlow.countDown();
        connect.close();
    }
}
