package dev.loomstep.devserver.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.devserver.flow.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CronSchedulerTest {
    record Fired(String functionId, String cron, Instant at) {}

    final ManualClock clock = new ManualClock("2024-03-01T11:59:59.900Z");
    final BlockingQueue<Fired> fired = new LinkedBlockingQueue<>();
    final CronScheduler scheduler = new CronScheduler(clock,
            (fn, schedule, at) -> fired.add(new Fired(fn, schedule.expression(), at)), Duration.ofMillis(5));

    @AfterEach
    void close() {
        scheduler.close();
    }

    Fired nextFired() throws InterruptedException {
        Fired f = fired.poll(10, TimeUnit.SECONDS);
        assertNotNull(f, "no firing within 10 s");
        return f;
    }

    @Test
    void firesAScheduleWhenTheClockReachesIt() throws Exception {
        scheduler.register("fn-a", List.of("* * * * *"));
        scheduler.start();
        assertEquals(Optional.of(Instant.parse("2024-03-01T12:00:00Z")), scheduler.nextFiring("fn-a"));

        clock.set(Instant.parse("2024-03-01T12:00:00Z"));
        assertEquals(new Fired("fn-a", "* * * * *", Instant.parse("2024-03-01T12:00:00Z")), nextFired());
        assertEquals(Optional.of(Instant.parse("2024-03-01T12:01:00Z")), scheduler.nextFiring("fn-a"));
        assertTrue(fired.isEmpty(), "fired once per minute");

        clock.advance(Duration.ofMinutes(1));
        assertEquals(Instant.parse("2024-03-01T12:01:00Z"), nextFired().at());
    }

    @Test
    void collapsesMissedFiringsIntoOne() throws Exception {
        scheduler.register("fn-a", List.of("* * * * *"));
        scheduler.start();
        clock.set(Instant.parse("2024-03-01T12:05:30Z"));
        assertEquals(Instant.parse("2024-03-01T12:00:00Z"), nextFired().at());
        // The next firing is the first after the jump, so nothing for 12:01..12:05 can be queued.
        assertEquals(Optional.of(Instant.parse("2024-03-01T12:06:00Z")), scheduler.nextFiring("fn-a"));
        clock.set(Instant.parse("2024-03-01T12:06:00Z"));
        assertEquals(Instant.parse("2024-03-01T12:06:00Z"), nextFired().at());
    }

    @Test
    void firesEveryScheduleOfEveryFunction() throws Exception {
        scheduler.register("fn-a", List.of("0 12 * * *", "TZ=Europe/Paris 0 13 * * *"));
        scheduler.register("fn-b", List.of("*/5 * * * *"));
        scheduler.start();
        clock.set(Instant.parse("2024-03-01T12:00:00Z"));
        List<Fired> got = List.of(nextFired(), nextFired(), nextFired());
        assertEquals(3, got.stream().distinct().count());
        assertTrue(got.contains(new Fired("fn-a", "0 12 * * *", Instant.parse("2024-03-01T12:00:00Z"))));
        assertTrue(got.contains(new Fired("fn-a", "TZ=Europe/Paris 0 13 * * *", Instant.parse("2024-03-01T12:00:00Z"))));
        assertTrue(got.contains(new Fired("fn-b", "*/5 * * * *", Instant.parse("2024-03-01T12:00:00Z"))));
    }

    @Test
    void reRegisteringReplacesTheFunctionsSchedules() throws Exception {
        scheduler.register("fn-a", List.of("0 * * * *"));
        scheduler.register("fn-a", List.of("30 12 * * *"));
        assertEquals(Optional.of(Instant.parse("2024-03-01T12:30:00Z")), scheduler.nextFiring("fn-a"));
        scheduler.start();
        clock.set(Instant.parse("2024-03-01T12:30:00Z"));
        Fired f = nextFired();
        assertEquals("30 12 * * *", f.cron());
        assertTrue(fired.isEmpty(), "the replaced hourly schedule did not fire at 12:00");
    }

    @Test
    void aBadExpressionLeavesTheOldSchedulesInPlace() {
        scheduler.register("fn-a", List.of("0 * * * *"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> scheduler.register("fn-a", List.of("*/5 * * * *", "not a cron")));
        assertTrue(e.getMessage().startsWith("invalid cron \"not a cron\""), e.getMessage());
        assertEquals(Optional.of(Instant.parse("2024-03-01T12:00:00Z")), scheduler.nextFiring("fn-a"));
    }

    @Test
    void unregisteringRemovesTheFunction() throws Exception {
        scheduler.register("fn-a", List.of("* * * * *"));
        scheduler.register("fn-b", List.of("* * * * *"));
        scheduler.unregister("fn-a");
        assertEquals(List.of("fn-b"), scheduler.functionIds());
        assertEquals(Optional.empty(), scheduler.nextFiring("fn-a"));
        scheduler.start();
        clock.set(Instant.parse("2024-03-01T12:00:00Z"));
        assertEquals("fn-b", nextFired().functionId());
    }

    @Test
    void keepsFiringAfterAListenerThrows() throws Exception {
        BlockingQueue<Instant> calls = new LinkedBlockingQueue<>();
        try (CronScheduler throwing = new CronScheduler(clock, (fn, s, at) -> {
            calls.add(at);
            if (at.equals(Instant.parse("2024-03-01T12:00:00Z"))) {
                throw new IllegalStateException("listener failure on purpose");
            }
        }, Duration.ofMillis(5))) {
            throwing.register("fn-a", List.of("* * * * *"));
            throwing.start();
            clock.set(Instant.parse("2024-03-01T12:00:00Z"));
            assertEquals(Instant.parse("2024-03-01T12:00:00Z"), calls.poll(10, TimeUnit.SECONDS));
            clock.set(Instant.parse("2024-03-01T12:01:00Z"));
            assertEquals(Instant.parse("2024-03-01T12:01:00Z"), calls.poll(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void firesOnTimeWithTheSystemClock() throws Exception {
        // Real time, shifted so that a minute boundary is 300 ms away: the wait is short but real.
        Instant realNow = Instant.now();
        Instant boundary = realNow.plusSeconds(60).truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
        Duration offset = Duration.between(realNow, boundary).minusMillis(300);
        java.time.Clock nearBoundary = java.time.Clock.offset(java.time.Clock.systemUTC(), offset);
        BlockingQueue<Instant> got = new LinkedBlockingQueue<>();
        try (CronScheduler real = new CronScheduler(nearBoundary, (fn, s, at) -> got.add(at))) {
            real.register("fn-a", List.of("* * * * *"));
            real.start();
            Instant at = got.poll(10, TimeUnit.SECONDS);
            assertNotNull(at, "the firing 300 ms away arrived");
            assertTrue(!nearBoundary.instant().isBefore(at), "not fired early");
        }
    }

    @Test
    void closeIsIdempotentAndFinal() {
        scheduler.start();
        scheduler.close();
        scheduler.close();
        assertThrows(IllegalStateException.class, scheduler::start);
    }
}
