package dev.loomstep.internal.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loomstep.Calls;
import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * After the answer, every branch unwinds: no thread survives a request, and no user step code runs.
 * Asked from a platform thread (the root branch gets its own virtual thread) and from a virtual thread
 * (the root branch runs on the caller's thread, as behind the HTTP adapter).
 */
class ThreadLeakTest {
    final AtomicInteger live = new AtomicInteger();
    final AtomicInteger stepBodiesRun = new AtomicInteger();

    @ParameterizedTest(name = "virtual caller: {0}")
    @ValueSource(booleans = {false, true})
    void tenThousandRequestsLeaveNoBranchThreadBehind(boolean virtualCaller) throws Exception {
        var fn = Function.builder("mixed").trigger(Trigger.event("x")).handler((input, step) -> {
            live.incrementAndGet();
            try {
                step.run("first", Integer.class, () -> 1);
                step.parallel(List.<Callable<Integer>>of(
                        () -> step.run("p1", Integer.class, () -> { stepBodiesRun.incrementAndGet(); return 1; }),
                        () -> { step.sleep("s", Duration.ofSeconds(1)); return 0; },
                        () -> step.run("p3", Integer.class, () -> { stepBodiesRun.incrementAndGet(); return 3; })));
                return "done";
            } finally {
                live.decrementAndGet();
            }
        });
        var app = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(fn).build();
        var request = Calls.request().memo("first", 1).build();
        var executed = Calls.request().build();
        Callable<Void> requests = () -> {
            for (int i = 0; i < 10_000; i++) {
                int status = app.call("app-mixed", "step", i % 2 == 0 ? request : executed, null).status();
                assertEquals(206, status);
            }
            return null;
        };
        if (virtualCaller) {
            try (var caller = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                caller.submit(requests).get();
            }
        } else {
            requests.call();
        }
        assertEquals(0, stepBodiesRun.get(), "fan-out branches are planned, never run, in discovery requests");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (live.get() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, live.get(), "every run unwound through its finally block");
        while (branchThreads() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, branchThreads(), "no loomstep-branch thread is left alive");
    }

    static long branchThreads() {
        // Virtual threads are not in Thread.getAllStackTraces(); the JDK's thread dump sees them.
        var bean = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        try {
            var file = java.nio.file.Files.createTempFile("threads", ".json");
            java.nio.file.Files.delete(file);
            bean.dumpThreads(file.toString(), com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
            String dump = java.nio.file.Files.readString(file);
            java.nio.file.Files.delete(file);
            return dump.lines().filter(l -> l.contains("\"name\": \"loomstep-branch\"")).count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
