package dev.loomstep.internal.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.Calls;
import dev.loomstep.Config;
import dev.loomstep.Function;
import dev.loomstep.Loomstep;
import dev.loomstep.Trigger;
import dev.loomstep.protocol.CallRequest;
import dev.loomstep.protocol.CallResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * A call made on a virtual thread runs the function's root branch on that very thread (no hand-off),
 * answers exactly as a call from a platform thread does, and leaves the thread as it found it.
 */
class VirtualThreadCallerTest {
    final AtomicReference<Thread> rootThread = new AtomicReference<>();
    final AtomicInteger executions = new AtomicInteger();

    final Function<?, ?> sequential = Function.builder("seq").trigger(Trigger.event("x")).handler((input, step) -> {
        rootThread.set(Thread.currentThread());
        int a = step.run("a", Integer.class, () -> 1);
        int b = step.run("b", Integer.class, () -> { executions.incrementAndGet(); return a + 1; });
        return a + b;
    });
    final Function<?, ?> fanOut = Function.builder("fan").trigger(Trigger.event("x")).handler((input, step) -> {
        List<Integer> r = step.parallel(List.<Callable<Integer>>of(
                () -> step.run("p1", Integer.class, () -> 1),
                () -> { step.sleep("nap", Duration.ofMinutes(1)); return 0; },
                () -> step.run("p3", Integer.class, () -> 3)));
        return r.get(0) + r.get(2);
    });
    final Loomstep app = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1")))
            .functions(sequential, fanOut).build();

    @Test
    void rootBranchRunsOnTheVirtualCallerAndTheStepRunsOnce() throws Exception {
        Thread[] caller = new Thread[1];
        CallResult r = onVirtualThread(() -> {
            caller[0] = Thread.currentThread();
            return app.call("app-seq", "step", Calls.request().memo("a", 1).build(), null);
        });
        assertEquals(206, r.status());
        assertEquals(2, Calls.body(r).get(0).get("data").asInt());
        assertSame(caller[0], rootThread.get(), "the root branch ran on the caller's virtual thread");
        assertEquals(1, executions.get(), "the immediately executed step ran exactly once");
    }

    @Test
    void platformCallerStillGetsAVirtualFunctionThread() {
        CallResult r = app.call("app-seq", "step", Calls.request().memo("a", 1).memo("b", 2).build(), null);
        assertEquals(200, r.status());
        assertNotSame(Thread.currentThread(), rootThread.get());
        assertTrue(rootThread.get().isVirtual());
    }

    @Test
    void everyAnswerIsTheSameFromEitherKindOfCaller() throws Exception {
        List<CallRequest> requests = List.of(
                Calls.request().build(),
                Calls.request().memo("a", 1).build(),
                Calls.request().memo("a", 1).disableImmediateExecution().build(),
                Calls.request().memo("a", 1).memo("b", 2).build(),
                Calls.request().memoError("a", "Error", "boom").build());
        for (CallRequest request : requests) {
            CallResult platform = app.call("app-seq", "step", request, null);
            CallResult virtual = onVirtualThread(() -> app.call("app-seq", "step", request, null));
            assertEquals(platform.status(), virtual.status());
            assertEquals(untimed(Calls.body(platform)), untimed(Calls.body(virtual)));
        }
        CallRequest fan = Calls.request().build();
        CallResult platform = app.call("app-fan", "step", fan, null);
        CallResult virtual = onVirtualThread(() -> app.call("app-fan", "step", fan, null));
        assertEquals(206, virtual.status());
        assertEquals(3, Calls.body(virtual).size(), "all three fan-out ops in one answer");
        assertEquals(Calls.body(platform), Calls.body(virtual));
    }

    @Test
    void theCallerThreadIsLeftAsItWas() throws Exception {
        long[] parkedNanos = new long[1];
        Branch[] after = new Branch[1];
        onVirtualThread(() -> {
            app.call("app-fan", "step", Calls.request().build(), null);
            // A sequential run's root decides the answer itself, parked on its own step, and signals
            // itself without an unpark: no permit is left, so the caller's next park really waits.
            // (After a fan-out, the branch that decides may unpark the root just after it woke up on
            // its own; a spare permit there is one spurious wake-up, which LockSupport allows.)
            LockSupport.parkNanos(1);
            app.call("app-seq", "step", Calls.request().memo("a", 1).disableImmediateExecution().build(), null);
            app.call("app-seq", "step", Calls.request().memo("a", 1).build(), null);
            after[0] = Branch.current();
            long start = System.nanoTime();
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
            parkedNanos[0] = System.nanoTime() - start;
            return null;
        });
        assertNull(after[0], "no branch is left bound to the caller");
        assertTrue(parkedNanos[0] >= Duration.ofMillis(40).toNanos(),
                "the caller's next park waited (" + parkedNanos[0] / 1_000_000 + " ms): no permit was left");
    }

    @Test
    void aStepMayCallAnotherFunctionInline() throws Exception {
        var outer = Function.builder("outer").trigger(Trigger.event("x")).handler((input, step) ->
                step.run("nested", Integer.class, () -> {
                    CallResult inner = app.call("app-seq", "step", Calls.request().memo("a", 1).memo("b", 2).build(), null);
                    return Integer.parseInt(new String(inner.body()));
                }) + 1);
        var both = Loomstep.builder("app").config(Config.from(Map.of("INNGEST_DEV", "1"))).functions(outer).build();
        CallResult r = onVirtualThread(() -> both.call("app-outer", "step", Calls.request().memo("nested", 3).build(), null));
        assertEquals(200, r.status());
        assertEquals("4", new String(r.body()));
        CallResult executed = onVirtualThread(() -> both.call("app-outer", "step", Calls.request().build(), null));
        assertEquals(206, executed.status());
        assertEquals(3, Calls.body(executed).get(0).get("data").asInt(), "the nested call answered inside the step");
    }

    private static <T> T onVirtualThread(Callable<T> work) throws Exception {
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            return executor.submit(work).get();
        }
    }

    /** The ops without their timing: when a step ran differs from one call to the next. */
    private static com.fasterxml.jackson.databind.JsonNode untimed(com.fasterxml.jackson.databind.JsonNode body) {
        var copy = body.deepCopy();
        copy.forEach(op -> {
            if (op instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
                o.remove("timing");
            }
        });
        return copy;
    }
}
