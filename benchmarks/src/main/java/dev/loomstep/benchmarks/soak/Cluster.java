package dev.loomstep.benchmarks.soak;

import dev.loomstep.testkit.ChildJvm;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * The two processes under test, each its own JVM on a fixed loopback port for the whole soak (so the
 * app URL the devserver synced stays right): the standalone devserver on one on-disk SQLite file, and
 * {@link SoakApp}. Both are killed with SIGKILL and started again on the same port and files.
 */
final class Cluster implements AutoCloseable {
    static final String DEVSERVER_READY = "Loomstep devserver listening on ";
    static final String DEVSERVER_READY_PRODUCTION = "Loomstep devserver (production mode) listening on ";
    /** In pass-through arguments and app variables: replaced by the devserver's URL (its port is picked at start). */
    static final String DEVSERVER_PLACEHOLDER = "{devserver}";
    /** Log lines with the wall-clock time, to line them up with the ledger and the runs' timelines. */
    private static final List<String> TIMESTAMPS = List.of("-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSX");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final SoakOptions o;
    final int devPort;
    final int appPort;
    final Path db;
    final Path ledger;
    private ChildJvm devserver;
    private ChildJvm app;
    private boolean synced;
    int devserverKills;
    int appKills;

    Cluster(SoakOptions o) throws IOException {
        this.o = o;
        devPort = freePort();
        appPort = freePort();
        db = o.workDir.resolve("soak.db");
        ledger = o.workDir.resolve("ledger.tsv");
    }

    String devUrl() {
        return "http://127.0.0.1:" + devPort;
    }

    String appUrl() {
        return "http://127.0.0.1:" + appPort + "/api/inngest";
    }

    /** Starts the devserver; at its first start it syncs the app ({@code -u}), later starts need not. */
    synchronized void startDevserver() throws IOException, InterruptedException {
        var args = new ArrayList<>(List.of("-jar", o.devserverJar.toString()));
        if (o.production) {
            args.addAll(List.of("start", "--signing-key", SoakOptions.PRODUCTION_SIGNING_KEY, "--event-key", o.eventKey));
        }
        args.addAll(List.of("--port", Integer.toString(devPort), "--db", db.toString(),
                "--retry-delay-scale", Double.toString(o.retryDelayScale)));
        if (!synced) {
            args.addAll(List.of("-u", appUrl()));
            synced = true;
        }
        o.devserverArgs.forEach(a -> args.add(a.replace(DEVSERVER_PLACEHOLDER, devUrl())));
        var jvm = new ArrayList<>(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
        jvm.addAll(TIMESTAMPS);
        devserver = startWithRetries(ChildJvm.java(jvm, args), new HashMap<>(),
                o.workDir.resolve("devserver.log"), o.production ? DEVSERVER_READY_PRODUCTION : DEVSERVER_READY);
    }

    synchronized void startApp() throws IOException, InterruptedException {
        var env = new HashMap<String, String>();
        if (o.production) {
            // Cloud mode against this server, as an app deployed beside a self-hosted Inngest would run.
            env.put("INNGEST_BASE_URL", devUrl());
            env.put("INNGEST_SIGNING_KEY", SoakOptions.PRODUCTION_SIGNING_KEY);
            env.put("INNGEST_EVENT_KEY", o.eventKey);
        } else {
            env.put("INNGEST_DEV", devUrl());
        }
        o.appEnv.forEach((k, v) -> env.put(k, v.replace(DEVSERVER_PLACEHOLDER, devUrl())));
        var args = List.of("-cp", o.appClasspath, SoakApp.class.getName(), "--port", Integer.toString(appPort),
                "--ledger", ledger.toString(), "--checkpointing", o.checkpointing);
        var jvm = new ArrayList<>(List.of("-XX:+UseSerialGC", "-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
        jvm.addAll(TIMESTAMPS);
        app = startWithRetries(ChildJvm.java(jvm, args), env, o.workDir.resolve("app.log"), SoakApp.READY);
    }

    void killDevserver() throws InterruptedException {
        ChildJvm d;
        synchronized (this) {
            d = devserver;
            devserver = null;
        }
        check(d.kill(), "devserver");
        devserverKills++;
    }

    void killApp() throws InterruptedException {
        ChildJvm a;
        synchronized (this) {
            a = app;
            app = null;
        }
        check(a.kill(), "app");
        appKills++;
    }

    synchronized boolean bothUp() {
        return devserver != null && devserver.isAlive() && app != null && app.isAlive();
    }

    /** A port just freed by a kill can take a moment to bind again: try a few times. */
    private static ChildJvm startWithRetries(List<String> cmd, java.util.Map<String, String> env, Path log, String ready)
            throws IOException, InterruptedException {
        IllegalStateException last = null;
        for (int i = 0; i < 5; i++) {
            try {
                return ChildJvm.start(cmd, env, log, ready, START_TIMEOUT);
            } catch (IllegalStateException e) {
                last = e;
                Thread.sleep(1_000);
            }
        }
        throw last;
    }

    private static void check(int exit, String what) {
        if (exit != 137) {
            throw new IllegalStateException("the " + what + " exited with " + exit + " before the SIGKILL (see its log)");
        }
    }

    @Override
    public synchronized void close() {
        if (app != null) {
            app.close();
        }
        if (devserver != null) {
            devserver.close();
        }
    }

    private static int freePort() throws IOException {
        try (var s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
