package dev.loomstep.benchmarks.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * The fault-injection soak: starts the devserver jar and {@link SoakApp} as separate JVMs, sends a mixed
 * workload ({@link Kind}) spread over a window, SIGKILLs each process at seeded random moments
 * (restarting it), takes the app away once for a long outage, waits for every run to end, and then
 * accounts for every start, run, step and event ({@link Accounting}). Exit code 0 only when nothing was
 * lost, duplicated, re-executed after its commit, dropped, wrong or left unfinished.
 *
 * <pre>java -cp benchmarks.jar dev.loomstep.benchmarks.soak.SoakDriver --devserver-jar devserver.jar --work-dir DIR [options]</pre>
 */
public final class SoakDriver {
    private SoakDriver() {}

    public static void main(String[] args) throws Exception {
        SoakOptions o;
        try {
            o = SoakOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("soak: " + e.getMessage() + "\n" + SoakOptions.USAGE);
            System.exit(2);
            return;
        }
        if (o == null) {
            System.out.print(SoakOptions.USAGE);
            return;
        }
        Accounting.Report report = run(o, System.out::println);
        System.out.println(report.table());
        Files.writeString(o.workDir.resolve("report.txt"), report.table() + "\n" + report.details());
        System.exit(report.clean() ? 0 : 1);
    }

    /** Runs one soak; {@code log} gets a line per phase and per kill. */
    static Accounting.Report run(SoakOptions o, java.util.function.Consumer<String> log) throws Exception {
        Files.createDirectories(o.workDir);
        for (String f : List.of("soak.db", "soak.db-wal", "soak.db-shm", "ledger.tsv", "devserver.log", "app.log", "report.txt")) {
            Files.deleteIfExists(o.workDir.resolve(f)); // a fresh soak: nothing from the previous one counts
        }
        var random = new Random(o.seed);
        List<Item> items = Item.plan(o, random);
        log.accept("soak: " + o + " in " + o.workDir);
        try (var cluster = new Cluster(o)) {
            cluster.startApp();
            cluster.startDevserver();
            var rest = new Rest(cluster.devUrl(), o.apiHeaders);
            rest.deadline(o.window.plus(o.outage).plus(o.settle).plus(Duration.ofMinutes(5)));
            awaitSynced(rest);
            log.accept("soak: devserver " + cluster.devUrl() + " and app " + cluster.appUrl() + " up, app synced");

            long t0 = System.currentTimeMillis();
            var errors = new ConcurrentLinkedQueue<String>();
            var senders = new ArrayList<Thread>();
            for (Item item : items) {
                senders.add(Thread.ofVirtual().start(() -> {
                    try {
                        sleepUntil(t0 + item.startAtMs);
                        new Sender(rest, o.eventKey, new Random(o.seed * 31 + item.index), o.idempotencySpread).send(item);
                    } catch (Exception e) {
                        errors.add(item.tag + ": " + e);
                    }
                }));
            }
            Chaos chaos = new Chaos(o, cluster, new Random(o.seed * 17 + 5), t0, log);
            Thread devKiller = Thread.ofPlatform().start(chaos::killDevserver);
            Thread appKiller = Thread.ofPlatform().start(chaos::killApp);
            devKiller.join();
            appKiller.join();
            if (chaos.failure != null) {
                throw chaos.failure;
            }
            for (Thread s : senders) {
                s.join();
            }
            log.accept("soak: every start sent and every kill done after " + (System.currentTimeMillis() - t0) / 1000
                    + " s (devserver killed " + cluster.devserverKills + "×, app " + cluster.appKills + "×); settling");
            boolean settled = settle(rest, o.settle);
            log.accept("soak: " + (settled ? "settled" : "not settled: nothing moved for " + o.settle.toSeconds() + " s")
                    + "; accounting");
            return Accounting.compute(rest, items, Ledger.read(cluster.ledger), cluster, o, List.copyOf(errors));
        }
    }

    private static void awaitSynced(Rest rest) throws InterruptedException {
        Set<String> want = new HashSet<>();
        for (Kind k : Kind.values()) {
            want.add(k.function());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            Set<String> have = new HashSet<>(rest.get("/v1/functions").path("data").findValuesAsText("id"));
            if (have.containsAll(want)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the app was not synced within 60 s: functions " + have + ", want " + want);
            }
            Thread.sleep(200);
        }
    }

    /**
     * Waits until nothing is left to happen: no run Running and no event held by debounce or batch, twice
     * in a row two seconds apart. False once {@code stall} has passed with nothing moving (the same runs
     * Running, the same events held), however long the whole wait took: a loaded machine makes the runs
     * slower, not wrong, so the verdict waits for progress, not for a fixed time.
     */
    private static boolean settle(Rest rest, Duration stall) throws InterruptedException {
        long movedAt = System.nanoTime();
        String last = null;
        int quiet = 0;
        while (System.nanoTime() - movedAt < stall.toNanos()) {
            var running = new java.util.TreeSet<String>(rest.get("/v1/runs?status=Running&limit=1000").path("data").findValuesAsText("run_id"));
            String debounced = held(rest, Kind.DEBOUNCE);
            String batched = held(rest, Kind.BATCH);
            String state = running + " " + debounced + " " + batched;
            if (!state.equals(last)) {
                movedAt = System.nanoTime();
                last = state;
            }
            boolean idle = running.isEmpty() && debounced.equals("[]") && batched.equals("[]");
            quiet = idle ? quiet + 1 : 0;
            if (quiet >= 2) {
                return true;
            }
            Thread.sleep(2_000);
        }
        return false;
    }

    /** The events a function holds (debounced or batched), as the devserver lists them. */
    private static String held(Rest rest, Kind kind) {
        JsonNode f = rest.get("/v1/functions/" + kind.function());
        JsonNode d = f.has("data") ? f.get("data") : f;
        return d.path("held_events").isArray() ? d.path("held_events").toString() : "[]";
    }

    static void sleepUntil(long epochMs) throws InterruptedException {
        long wait = epochMs - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }

    /** Sends one item's events, retrying each send until the devserver answers (it may be down). */
    private record Sender(Rest rest, String key, Random random, Duration spread) {
        void send(Item item) throws InterruptedException {
            switch (item.kind) {
                case WAIT_MATCHED -> {
                    post(item, event(item, 0).put("reply", true));
                    awaitWaitingThenReply(item);
                }
                case WAIT_TIMED_OUT -> post(item, event(item, 0).put("reply", false));
                case DEBOUNCE -> {
                    for (int i = 0; i < 3; i++) {
                        post(item, event(item, i).put("i", i));
                        Thread.sleep(100 + random.nextInt(200));
                    }
                }
                case BATCH -> {
                    // Two requests, so a kill can land while the batch is open.
                    int half = Kind.BATCH_SIZE / 2;
                    for (int from = 0; from < Kind.BATCH_SIZE; from += half) {
                        var part = new ArrayList<ObjectNode>();
                        for (int i = from; i < from + half; i++) {
                            part.add(event(item, i).put("i", i));
                        }
                        post(item, part.toArray(ObjectNode[]::new));
                        Thread.sleep(200 + random.nextInt(600));
                    }
                }
                case IDEMPOTENT -> {
                    long t = System.currentTimeMillis();
                    post(item, event(item, 0));
                    sleepUntil(t + 1_000 + (long) (random.nextDouble() * spread.toMillis() / 2));
                    post(item, event(item, 1));
                    sleepUntil(t + spread.toMillis() / 2 + (long) (random.nextDouble() * spread.toMillis() / 2));
                    post(item, event(item, 2));
                }
                default -> post(item, event(item, 0));
            }
        }

        /** The event's {@code data} object, to add fields to; the envelope is built by {@link #post}. */
        private ObjectNode event(Item item, int k) {
            ObjectNode data = Rest.JSON.createObjectNode().put("tag", item.tag).put("n", item.n);
            data.put("$id", item.eventId(k)).put("$name", item.kind.event);
            return data;
        }

        private void post(Item item, ObjectNode... datas) {
            ArrayNode body = Rest.JSON.createArrayNode();
            var ids = new ArrayList<String>();
            for (ObjectNode data : datas) {
                String id = data.remove("$id").asText();
                String name = data.remove("$name").asText();
                ids.add(id);
                body.addObject().put("name", name).put("id", id).set("data", data);
            }
            Rest.Response r = rest.call("POST", "/e/" + key, body.toString());
            if (r.status() == 200) {
                item.acknowledged.addAll(ids);
            } else {
                item.refused = "POST /e answered " + r.status() + ": " + r.body();
            }
        }

        /** A reply matches only a wait already registered: wait until the run shows its wait as waiting. */
        private void awaitWaitingThenReply(Item item) throws InterruptedException {
            while (true) {
                JsonNode runs = rest.get("/v1/events/" + item.eventId(0) + "/runs").path("data");
                if (runs.size() > 0) {
                    JsonNode run = rest.get("/v1/runs/" + runs.get(0).path("run_id").asText()).path("data");
                    if (!run.path("status").asText().equals("Running")) {
                        return; // ended without our reply: the accounting says how
                    }
                    for (JsonNode s : run.path("steps")) {
                        if (s.path("name").asText().equals("reply") && s.path("wait").path("outcome").asText().equals("waiting")) {
                            String id = item.tag + "-reply";
                            ObjectNode data = Rest.JSON.createObjectNode().put("tag", item.tag).put("v", item.replyValue());
                            ArrayNode body = Rest.JSON.createArrayNode();
                            body.addObject().put("name", Kind.WAIT_REPLY_EVENT).put("id", id).set("data", data);
                            Rest.Response r = rest.call("POST", "/e/" + key, body.toString());
                            if (r.status() == 200) {
                                item.replyId = id;
                            } else {
                                item.refused = "POST /e (reply) answered " + r.status() + ": " + r.body();
                            }
                            return;
                        }
                    }
                }
                Thread.sleep(300);
            }
        }
    }
}
