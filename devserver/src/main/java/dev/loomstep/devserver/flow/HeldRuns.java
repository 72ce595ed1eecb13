package dev.loomstep.devserver.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.Event;
import dev.loomstep.devserver.flow.FlowControl.Admission;
import dev.loomstep.devserver.flow.FlowControl.Held;
import dev.loomstep.devserver.flow.FlowControl.RunStarter;
import dev.loomstep.devserver.store.HeldEvents;
import dev.loomstep.devserver.store.Store;
import dev.loomstep.flow.BatchEvents;
import dev.loomstep.flow.Debounce;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.TimeStrings;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The events {@link ConfiguredFlowControl} holds back instead of starting a run at once: debounces
 * (the last event runs once the period is quiet) and batches (a full batch starts at once, a partial
 * one at its timeout). Each holding is journaled in the unit of the event that changed it, and a
 * held run is started in the unit that deletes its holding, so a kill neither loses nor repeats one.
 */
final class HeldRuns {
    // Logged as the flow control, as before this class was split out of it: operators filter on that name.
    private static final Logger LOG = LoggerFactory.getLogger(ConfiguredFlowControl.class);

    private final InstantSource clock;
    private final Debouncer debouncer;
    private final Batcher batcher;
    private final FlowJournal journal;
    private final FlowTimer timer;
    private volatile RunStarter starter;

    HeldRuns(InstantSource clock, FlowJournal journal, FlowTimer timer) {
        this.clock = clock;
        this.debouncer = new Debouncer(clock);
        this.batcher = new Batcher(clock);
        this.journal = journal;
        this.timer = timer;
    }

    void attach(RunStarter runStarter) {
        this.starter = runStarter;
    }

    List<Held> held(String functionId) {
        var out = new ArrayList<Held>();
        for (Debouncer.Pending p : debouncer.pending()) {
            if (p.functionId().equals(functionId)) {
                out.add(new Held("debounce", p.key(), List.of(p.event().path("id").asText()), p.fireAt()));
            }
        }
        for (Batcher.OpenBatch b : batcher.openBatches()) {
            if (b.functionId().equals(functionId)) {
                out.add(new Held("batch", b.key(), b.events().stream().map(e -> e.path("id").asText()).toList(), b.dueAt()));
            }
        }
        return out;
    }

    /**
     * Holds the event as its key's last; its run starts once the period is quiet, counted from {@code now},
     * the event's admission.
     */
    Admission debounce(String fnId, Debounce config, JsonNode event, Instant now) {
        // The key's held event is due when its period ended before this event came, though the timer has
        // not started its run yet (late under load, or not yet run after a restart): its run starts now, in
        // this event's unit, and this event opens the key's next debounce. Replacing it lost that run.
        debouncer.takeDueFor(fnId, config, event, now).ifPresent(due -> {
            if (journal.store() == null) {
                startHeld(due.functionId(), List.of(due.event()));
            } else {
                startCommitted(HeldEvents.DEBOUNCE, due.key(), due.functionId());
            }
        });
        Debouncer.Pending pending = debouncer.offer(fnId, config, event, now);
        journal.hold(new HeldEvents(HeldEvents.DEBOUNCE, pending.key(), fnId, List.of(pending.event()),
                pending.firstAt().toEpochMilli(), pending.fireAt().toEpochMilli()));
        wakeAt(pending.fireAt());
        return new Admission.Held("debounced until " + pending.fireAt());
    }

    /** Adds the event to its batch (starting the batch's run when it is full); empty when the batch's {@code if} leaves it out. */
    Optional<Admission> batch(String fnId, BatchEvents config, JsonNode event) {
        switch (batcher.add(fnId, config, event)) {
            case Batcher.Full full -> {
                List<JsonNode> batch = committedBatch(full.batch(), event);
                String runId = startHeld(fnId, batch);
                return Optional.of(new Admission.Held("batch full: run " + runId + " started with " + batch.size() + " events"));
            }
            case Batcher.Added added -> {
                batcher.peek(added.key()).ifPresent(open -> journal.hold(new HeldEvents(HeldEvents.BATCH, open.key(), fnId,
                        open.events(), open.openedAt().toEpochMilli(), added.dueAt().toEpochMilli())));
                wakeAt(added.dueAt());
                return Optional.of(new Admission.Held("batched (" + added.size() + " of " + config.maxSize()
                        + ") until " + added.dueAt()));
            }
            case Batcher.Unbatched unbatched -> {
                return Optional.empty();
            }
        }
    }

    /**
     * The events of a batch that {@code event} filled: with a store, those committed for it (deleted
     * here, in this event's unit) and {@code event}, so an event whose own unit rolled back is never in
     * the run; without one, the batch as held in memory.
     */
    private List<JsonNode> committedBatch(Batcher.Batch full, JsonNode event) {
        if (journal.store() == null) {
            return full.events();
        }
        List<JsonNode> events = new ArrayList<>();
        journal.take(HeldEvents.BATCH, full.key()).ifPresent(held -> events.addAll(held.events()));
        events.add(event);
        return events;
    }

    /** Holds saved events again and wakes up when they are due (at once when overdue); false for an unknown kind. */
    boolean restore(HeldEvents h) {
        if (h.events().isEmpty()) {
            return false;
        }
        Instant firstAt = Instant.ofEpochMilli(h.firstAt());
        Instant dueAt = Instant.ofEpochMilli(h.dueAt());
        switch (h.kind()) {
            case HeldEvents.DEBOUNCE -> debouncer.restore(new Debouncer.Pending(h.functionId(), h.key(),
                    h.events().get(h.events().size() - 1), firstAt, dueAt));
            case HeldEvents.BATCH -> batcher.restore(h.functionId(), h.key(), h.events(), firstAt, dueAt);
            default -> {
                return false;
            }
        }
        wakeAt(dueAt);
        return true;
    }

    /** Starts every debounce and batch that is due. */
    private void fireDue() {
        if (timer.closed()) {
            return;
        }
        Store store = journal.store();
        if (store == null) {
            for (Debouncer.Pending p : debouncer.takeDue()) {
                startHeld(p.functionId(), List.of(p.event()));
            }
            for (Batcher.Batch b : batcher.takeDue()) {
                startHeld(b.functionId(), b.events());
            }
            return;
        }
        Instant now = clock.instant();
        boolean due = debouncer.nextDue().map(at -> !at.isAfter(now)).orElse(false)
                || batcher.nextDue().map(at -> !at.isAfter(now)).orElse(false);
        if (!due) {
            return; // a wake-up for a holding that was replaced, pushed back or already started: no unit for nothing
        }
        // In one unit of the writer, which also runs every admission: taking the due holdings from
        // memory, deleting them from the store and starting their runs is one step, so no event can
        // slip between them, and a kill leaves either the holding or the run, never both or neither.
        var taken = new ArrayList<Runnable>(); // how to put back what was taken, if the unit fails
        try {
            store.txRun(() -> {
                for (Debouncer.Pending p : debouncer.takeDue()) {
                    taken.add(() -> debouncer.restore(p));
                    startCommitted(HeldEvents.DEBOUNCE, p.key(), p.functionId());
                }
                for (Batcher.Batch b : batcher.takeDue()) {
                    taken.add(() -> batcher.restore(b.functionId(), b.key(), b.events(), b.openedAt(), clock.instant()));
                    startCommitted(HeldEvents.BATCH, b.key(), b.functionId());
                }
            });
        } catch (RuntimeException e) {
            if (timer.closed()) {
                return; // the holdings are still in the store: the next start fires them
            }
            LOG.error("{} held debounce(s) or batch(es) could not start their runs; trying again in {}",
                    taken.size(), TimeStrings.format(ConfiguredFlowControl.HELD_RETRY), e);
            taken.forEach(Runnable::run);
            wakeAt(clock.instant().plus(ConfiguredFlowControl.HELD_RETRY));
        }
    }

    /**
     * Starts the run of a key's holding as committed in the store (not as held in memory, which may
     * include events of a unit that was rolled back), deleting it in the same unit.
     */
    private void startCommitted(String kind, String key, String functionId) {
        HeldEvents held = journal.take(kind, key).orElse(null);
        if (held == null) {
            LOG.debug("function {}: {} {} holds no committed event; no run", functionId, kind, key);
            return;
        }
        RunStarter s = starter;
        String runId = s == null ? null : s.start(held.functionId(), toEvents(held.events()));
        if (runId == null) {
            LOG.warn("function {} is no longer synced; {} held event(s) start no run", held.functionId(), held.events().size());
        }
    }

    private String startHeld(String functionId, List<JsonNode> events) {
        RunStarter s = starter;
        if (s == null) {
            LOG.warn("function {}: {} held event(s) dropped: the flow control is not attached", functionId, events.size());
            return null;
        }
        try {
            String runId = s.start(functionId, toEvents(events));
            if (runId == null) {
                LOG.warn("function {} is no longer synced; {} held event(s) start no run", functionId, events.size());
            }
            return runId;
        } catch (Exception e) {
            if (!timer.closed()) {
                LOG.error("function {}: could not start the run of {} held event(s)", functionId, events.size(), e);
            }
            return null;
        }
    }

    private static List<Event> toEvents(List<JsonNode> events) {
        List<Event> list = new ArrayList<>(events.size());
        for (JsonNode e : events) {
            try {
                list.add(Json.mapper().treeToValue(e, Event.class));
            } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
                throw new IllegalStateException("a held event is not an event: " + ex.getOriginalMessage(), ex);
            }
        }
        return list;
    }

    /** A millisecond past due, so the holding is due when the timer fires. */
    private void wakeAt(Instant at) {
        timer.at(at, 1, this::fireDue);
    }
}
