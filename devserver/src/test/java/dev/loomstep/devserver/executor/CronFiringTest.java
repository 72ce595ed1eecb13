package dev.loomstep.devserver.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loomstep.devserver.queue.WorkQueue;
import dev.loomstep.devserver.executor.Policies;
import dev.loomstep.devserver.store.QueueItem;
import dev.loomstep.devserver.store.RunRecord;
import dev.loomstep.devserver.store.RunStatus;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.protocol.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cron triggers become durable queue items that start runs with inngest/scheduled.timer events. */
class CronFiringTest {

    @Test
    void schedulesEachCronAsADurableItemAndFiresARunWithTheScheduledTimerEvent() {
        try (Store store = Store.inMemory(); WorkQueue queue = new WorkQueue(item -> {})) {
            var sync = Registry.parseSync(Json.mapper().valueToTree(java.util.Map.of(
                    "appName", "app", "url", "http://127.0.0.1:1/api",
                    "functions", List.of(java.util.Map.of("id", "app-nightly",
                            "triggers", List.of(java.util.Map.of("cron", "TZ=Europe/Paris 0 2 * * *")),
                            "steps", java.util.Map.of("step", java.util.Map.of("id", "step",
                                    "runtime", java.util.Map.of("type", "http", "url", "http://127.0.0.1:1/api?fnId=app-nightly&stepId=step"))))))),
                    System.currentTimeMillis());
            store.upsertApp(sync.app());
            store.replaceFunctions("app", sync.functions());
            var registry = new Registry(store);
            var lifecycle = new Lifecycle(store, queue, registry, Policies.defaults());

            lifecycle.scheduleCrons(List.of());
            lifecycle.scheduleCrons(List.of()); // a re-sync replaces, never duplicates
            List<QueueItem> crons = store.items().stream().filter(i -> i.kind() == QueueItem.Kind.CRON).toList();
            assertEquals(1, crons.size());
            assertTrue(crons.get(0).dueAt() > System.currentTimeMillis());

            lifecycle.fireCron(crons.get(0));

            List<RunRecord> runs = store.runs(RunStatus.Running, "app-nightly", 10);
            assertEquals(1, runs.size());
            assertEquals("inngest/scheduled.timer", runs.get(0).event().name());
            assertEquals("TZ=Europe/Paris 0 2 * * *", runs.get(0).event().data().get("cron").asText());
            List<QueueItem> next = store.items().stream().filter(i -> i.kind() == QueueItem.Kind.CRON).toList();
            assertEquals(1, next.size());
            assertTrue(next.get(0).dueAt() > crons.get(0).dueAt(), "the next firing is scheduled");
        }
    }

    @Test
    void aCronJitterDelaysEachFiringByAtMostTheJitterAndTheScheduleGoesOnFromTheScheduledTime() {
        try (Store store = Store.inMemory(); WorkQueue queue = new WorkQueue(item -> {})) {
            var sync = Registry.parseSync(Json.mapper().valueToTree(java.util.Map.of(
                    "appName", "app", "url", "http://127.0.0.1:1/api",
                    "functions", List.of(java.util.Map.of("id", "app-spread",
                            "triggers", List.of(java.util.Map.of("cron", "0 * * * *", "jitter", "30m")),
                            "steps", java.util.Map.of("step", java.util.Map.of("id", "step",
                                    "runtime", java.util.Map.of("type", "http", "url", "http://127.0.0.1:1/api?fnId=app-spread&stepId=step"))))))),
                    System.currentTimeMillis());
            store.upsertApp(sync.app());
            store.replaceFunctions("app", sync.functions());
            var lifecycle = new Lifecycle(store, queue, new Registry(store), Policies.defaults());

            lifecycle.scheduleCrons(List.of());
            QueueItem first = store.items().stream().filter(i -> i.kind() == QueueItem.Kind.CRON).findFirst().orElseThrow();
            long scheduled = first.payload().path("at").asLong();
            assertEquals(0, scheduled % 3_600_000, "the scheduled time is the top of an hour: " + first.payload());
            assertTrue(first.dueAt() >= scheduled && first.dueAt() <= scheduled + 30 * 60_000,
                    "due within the 30m jitter after " + scheduled + ", got " + first.dueAt());

            lifecycle.fireCron(first);

            assertEquals(1, store.runs(RunStatus.Running, "app-spread", 10).size());
            QueueItem next = store.items().stream().filter(i -> i.kind() == QueueItem.Kind.CRON).findFirst().orElseThrow();
            assertEquals(scheduled + 3_600_000, next.payload().path("at").asLong(), "the next hour, whatever the jitter was");
            assertTrue(next.dueAt() >= scheduled + 3_600_000 && next.dueAt() <= scheduled + 3_600_000 + 30 * 60_000);
        }
    }
}
