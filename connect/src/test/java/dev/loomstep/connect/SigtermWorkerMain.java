package dev.loomstep.connect;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import java.util.Map;

/**
 * A worker in a JVM of its own, for {@link DrainOnShutdownTest}: connects to the API in its first
 * argument with {@code drainOnShutdown()}, prints a ready line, and serves until it is signalled. Its one
 * function has a step that takes 1.5 s, so a SIGTERM lands while it runs.
 */
public final class SigtermWorkerMain {
    public static final String READY = "connect worker ready";

    public static void main(String[] args) throws Exception {
        Function<JsonNode, Object> slow = Function.builder("slow").trigger(Trigger.event("billing/slow"))
                .handler((input, step) -> step.run("wait", String.class, () -> {
                    Thread.sleep(1500);
                    return "done";
                }));
        var app = Loomstep.builder(ConnectTestApp.APP).config(Config.from(Map.of("INNGEST_DEV", args[0]))).functions(slow).build();
        var worker = LoomstepConnect.builder(app).instanceId("sigterm-1").drainOnShutdown().build();
        worker.connect();
        System.out.println(READY);
        Thread.currentThread().join();
    }
}
