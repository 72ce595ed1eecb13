package dev.loomstep.benchmarks.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * When the processes die: {@code devserverKills} and {@code appKills} SIGKILLs at seeded random moments
 * of the window, each followed by a restart 0.2–1.5 s later, and one outage of the app
 * ({@code outage} long) starting in the window's middle third, with no other app kill near it.
 */
final class Chaos {
    private final SoakOptions o;
    private final Cluster cluster;
    private final long t0;
    private final Consumer<String> log;
    private final List<Long> devserverAt;
    private final List<Long> appAt;
    private final long outageAt;
    private final Random restartDelays;
    volatile Exception failure;

    Chaos(SoakOptions o, Cluster cluster, Random random, long t0, Consumer<String> log) {
        this.o = o;
        this.cluster = cluster;
        this.t0 = t0;
        this.log = log;
        long window = o.window.toMillis();
        outageAt = o.outage.isZero() ? -1 : (long) (window * (0.3 + 0.3 * random.nextDouble()));
        devserverAt = times(random, o.devserverKills, window, -1, 0);
        appAt = times(random, o.appKills, window, outageAt, o.outage.toMillis());
        restartDelays = new Random(random.nextLong());
    }

    /** Sorted moments in [1 s, window), none within 3 s of the outage [from, from + length]. */
    private static List<Long> times(Random random, int count, long window, long from, long length) {
        var out = new ArrayList<Long>();
        while (out.size() < count) {
            long t = 1_000 + (long) (random.nextDouble() * Math.max(1, window - 1_000));
            if (from >= 0 && t > from - 3_000 && t < from + length + 3_000) {
                continue;
            }
            out.add(t);
        }
        out.sort(null);
        return out;
    }

    void killDevserver() {
        try {
            for (long at : devserverAt) {
                SoakDriver.sleepUntil(t0 + at);
                cluster.killDevserver();
                log.accept("soak: t=" + elapsed() + " SIGKILL devserver (kill " + cluster.devserverKills + ")");
                Thread.sleep(delay());
                cluster.startDevserver();
            }
        } catch (Exception e) {
            failure = e;
        }
    }

    void killApp() {
        try {
            boolean outageDone = outageAt < 0;
            for (long at : appAt) {
                if (!outageDone && outageAt < at) {
                    outage();
                    outageDone = true;
                }
                SoakDriver.sleepUntil(t0 + at);
                cluster.killApp();
                log.accept("soak: t=" + elapsed() + " SIGKILL app (kill " + cluster.appKills + ", the outage included)");
                Thread.sleep(delay());
                cluster.startApp();
            }
            if (!outageDone) {
                outage();
            }
        } catch (Exception e) {
            failure = e;
        }
    }

    private void outage() throws Exception {
        SoakDriver.sleepUntil(t0 + outageAt);
        cluster.killApp();
        log.accept("soak: t=" + elapsed() + " SIGKILL app, away for " + o.outage.toSeconds() + " s");
        Thread.sleep(o.outage.toMillis());
        cluster.startApp();
        log.accept("soak: t=" + elapsed() + " app back after its outage");
    }

    /** Seconds since the start and the wall-clock time, to line a kill up with the logs and the runs. */
    private String elapsed() {
        return (System.currentTimeMillis() - t0) / 1000 + "s (" + java.time.Instant.now() + ")";
    }

    private long delay() {
        synchronized (restartDelays) {
            return 200 + restartDelays.nextInt(1_300);
        }
    }
}
