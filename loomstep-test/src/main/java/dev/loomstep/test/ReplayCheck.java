package dev.loomstep.test;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loomstep.internal.run.ReplayProbe;
import dev.loomstep.protocol.CallResult;
import dev.loomstep.protocol.Json;
import dev.loomstep.protocol.RunHistory;
import dev.loomstep.test.ReplayMismatchError.Kind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compares what the code reached when replaying a history ({@link Probe}) with what the history
 * recorded, and words the first mismatch. Precedence: an unreadable output, a changed fan-out, a
 * recorded step not reached, an order changed, then the code failing.
 */
final class ReplayCheck {
    private static final int LISTED = 5;

    /** One step the code reached. */
    record Reach(String id, String hashed, String kind, boolean memoized, List<Object> lineage) {}

    record Unreadable(String id, String type, RuntimeException error) {}

    /** Records the replay; the engine calls it from one branch at a time. */
    static final class Probe implements ReplayProbe {
        final List<Reach> reaches = new ArrayList<>();
        final List<Unreadable> unreadable = new ArrayList<>();

        @Override
        public synchronized void reached(String id, String hashed, String kind, boolean memoized, List<Object> lineage) {
            reaches.add(new Reach(id, hashed, kind, memoized, List.copyOf(lineage)));
        }

        @Override
        public synchronized void unreadable(String id, String type, RuntimeException error) {
            unreadable.add(new Unreadable(id, type, error));
        }
    }

    private final RunHistory history;
    private final Probe probe;
    private final CallResult result;
    private final String run;
    private final Map<String, RunHistory.Step> recorded = new LinkedHashMap<>();
    private final Map<String, RunHistory.Step> pending = new HashMap<>();
    private final Map<String, Reach> reached = new HashMap<>();

    ReplayCheck(RunHistory history, Probe probe, CallResult result) {
        this.history = history;
        this.probe = probe;
        this.result = result;
        this.run = "run " + history.runId() + " of " + history.functionId();
        for (RunHistory.Step s : history.memoizedSteps()) {
            recorded.put(s.id(), s);
        }
        for (RunHistory.Step s : history.steps()) {
            if (!s.memoized()) {
                pending.put(s.id(), s);
            }
        }
        for (Reach r : probe.reaches) {
            reached.putIfAbsent(r.hashed(), r);
        }
    }

    /** The first mismatch, or null when the code still fits the history. */
    ReplayMismatchError mismatch() {
        ReplayMismatchError m = unreadableOutput();
        if (m == null) {
            m = fanOutChanged();
        }
        if (m == null) {
            m = notReached();
        }
        if (m == null) {
            m = orderChanged();
        }
        if (m == null) {
            m = codeFails();
        }
        return m;
    }

    private ReplayMismatchError unreadableOutput() {
        if (probe.unreadable.isEmpty()) {
            return null;
        }
        Unreadable u = probe.unreadable.get(0);
        String hashed = lastHashOf(u.id());
        RunHistory.Step s = hashed == null ? null : recorded.get(hashed);
        String output = s == null || s.memo() == null ? "" : " " + abbreviate(Json.toString(s.memo().path("data")));
        return new ReplayMismatchError(Kind.OUTPUT_TYPE_CHANGED, history.runId(), List.of(u.id()), run + " no longer fits the code: the"
                + " recorded output of step " + named(u.id(), hashed) + output + " no longer reads as " + u.type() + " ("
                + cause(u.error()) + "). Keep the step's output type compatible (or give the changed step a new id) while runs are in flight.");
    }

    /** A new branch beside recorded ones in a fork, or recorded steps of one fan-out group now reached one after another. */
    private ReplayMismatchError fanOutChanged() {
        for (Reach n : probe.reaches) {
            if (n.memoized() || pending.containsKey(n.hashed())) {
                continue;
            }
            List<Object> l = n.lineage();
            for (int k = 1; k + 1 < l.size(); k += 2) { // l[k] is a fork, l[k + 1] the branch under it
                List<Object> fork = l.subList(0, k + 1);
                List<Object> branch = l.subList(0, k + 2);
                boolean branchRecorded = false;
                var siblings = new ArrayList<Reach>();
                for (Reach r : probe.reaches) {
                    if (r.memoized() && startsWith(r.lineage(), branch)) {
                        branchRecorded = true;
                    } else if (r.memoized() && startsWith(r.lineage(), fork)) {
                        siblings.add(r);
                    }
                }
                if (!branchRecorded && !siblings.isEmpty()) {
                    return new ReplayMismatchError(Kind.FAN_OUT_CHANGED, history.runId(), List.of(n.id()), run + " no longer fits the"
                            + " code: its fan-out now has a branch that reaches new step " + named(n.id(), n.hashed()) + " beside the"
                            + " recorded branches of steps " + list(siblings.stream().map(Reach::hashed).toList())
                            + ". Change a fan-out's branches only in new functions (or behind a new step id) while runs are in flight.");
                }
            }
        }
        Map<String, List<RunHistory.Step>> groups = new LinkedHashMap<>();
        for (RunHistory.Step s : recorded.values()) {
            if (s.group() != null) {
                groups.computeIfAbsent(s.group(), g -> new ArrayList<>()).add(s);
            }
        }
        for (List<RunHistory.Step> group : groups.values()) {
            List<String> ids = group.stream().map(RunHistory.Step::id).toList();
            List<String> missing = ids.stream().filter(id -> !isReachedFromMemo(id)).toList();
            if (!missing.isEmpty() && missing.size() < ids.size()) { // none reached: the code stops before the fan-out
                return new ReplayMismatchError(Kind.FAN_OUT_CHANGED, history.runId(), names(missing), run + " no longer fits the code:"
                        + " its fan-out of steps " + list(ids) + " changed: " + list(missing) + (missing.size() == 1 ? " is" : " are")
                        + " not reached; the code now " + now(missing.size()) + ".");
            }
            for (int i = 0; i < ids.size(); i++) {
                for (int j = i + 1; j < ids.size(); j++) {
                    Reach a = reached.get(ids.get(i));
                    Reach b = reached.get(ids.get(j));
                    if (a != null && b != null && related(a.lineage(), b.lineage())) {
                        return new ReplayMismatchError(Kind.FAN_OUT_CHANGED, history.runId(), List.of(a.id(), b.id()), run
                                + " no longer fits the code: steps " + list(List.of(a.hashed(), b.hashed())) + " ran side by side in"
                                + " one fan-out and are now reached one after the other.");
                    }
                }
            }
        }
        return null;
    }

    private ReplayMismatchError notReached() {
        var missing = new ArrayList<String>();
        for (String id : recorded.keySet()) {
            if (!isReachedFromMemo(id)) {
                missing.add(id);
            }
        }
        for (String id : pending.keySet()) {
            if (!reached.containsKey(id)) {
                missing.add(id);
            }
        }
        if (missing.isEmpty()) {
            return null;
        }
        return new ReplayMismatchError(Kind.STEP_NOT_REACHED, history.runId(), names(missing), run + " no longer fits the code:"
                + " recorded step" + (missing.size() == 1 ? " " : "s ") + list(missing) + (missing.size() == 1 ? " is" : " are")
                + " not reached; the code now " + now(missing.size()) + ". A renamed or removed step never reuses its result, and a"
                + " step inserted before recorded ones runs after them in time: keep step ids and order while runs that recorded them"
                + " are in flight, and add new steps after the recorded ones.");
    }

    /** Two recorded steps on one line of code (same branch, or a branch and its fork's parent) reached in the other order. */
    private ReplayMismatchError orderChanged() {
        List<Reach> memo = probe.reaches.stream().filter(Reach::memoized).toList();
        for (int i = 0; i < memo.size(); i++) {
            for (int j = i + 1; j < memo.size(); j++) {
                Reach first = memo.get(i);
                Reach then = memo.get(j);
                if (seq(first) > seq(then) && related(first.lineage(), then.lineage())) {
                    return new ReplayMismatchError(Kind.ORDER_CHANGED, history.runId(), List.of(first.id(), then.id()), run
                            + " no longer fits the code: step " + named(first.id(), first.hashed()) + " is now reached before step "
                            + named(then.id(), then.hashed()) + "; the run recorded them the other way round. Keep the order of"
                            + " recorded steps while runs are in flight.");
                }
            }
        }
        return null;
    }

    private ReplayMismatchError codeFails() {
        if (result.status() == 200 || result.status() == 206 || "Failed".equals(history.status())) {
            return null;
        }
        String body = new String(result.body(), StandardCharsets.UTF_8);
        String message = body;
        try {
            JsonNode e = Json.mapper().readTree(body);
            message = e.path("name").asText("Error") + ": " + e.path("message").asText(body);
        } catch (Exception notJson) {
            // keep the body as it is
        }
        return new ReplayMismatchError(Kind.CODE_FAILS, history.runId(), List.of(), run + " no longer fits the code: it now fails on"
                + " the recorded state (" + abbreviate(message) + "); the run " + ("Completed".equals(history.status()) ? "completed." : "had not failed."));
    }

    /** What the code did instead, for a message: where it now waits, or how it ended. */
    private String now(int missing) {
        var fresh = probe.reaches.stream().filter(r -> !r.memoized() && !pending.containsKey(r.hashed())).map(Reach::hashed).toList();
        var reachedNames = new HashMap<String, String>();
        probe.reaches.forEach(r -> reachedNames.put(r.hashed(), r.id()));
        if (!fresh.isEmpty()) {
            var named = new ArrayList<String>();
            for (String h : fresh.subList(0, Math.min(LISTED, fresh.size()))) {
                named.add(named(reachedNames.get(h), h));
            }
            return "waits at new step" + (fresh.size() == 1 ? " " : "s ") + String.join(", ", named)
                    + (fresh.size() > LISTED ? " and " + (fresh.size() - LISTED) + " more" : "") + " before " + (missing > 1 ? "them" : "it");
        }
        return switch (result.status()) {
            case 200 -> "completes without " + (missing > 1 ? "them" : "it");
            case 206 -> "stops elsewhere";
            default -> "fails before reaching " + (missing > 1 ? "them" : "it");
        };
    }

    private boolean isReachedFromMemo(String hashed) {
        Reach r = reached.get(hashed);
        return r != null && r.memoized();
    }

    private int seq(Reach r) {
        RunHistory.Step s = recorded.get(r.hashed());
        return s == null || s.seq() == null ? Integer.MAX_VALUE : s.seq();
    }

    private String lastHashOf(String id) {
        String out = null;
        for (Reach r : probe.reaches) {
            if (r.id().equals(id)) {
                out = r.hashed();
            }
        }
        return out;
    }

    /** Whether one lineage is a prefix of the other: their steps run one after the other in the code. */
    private static boolean related(List<Object> a, List<Object> b) {
        return startsWith(a, b) || startsWith(b, a);
    }

    private static boolean startsWith(List<Object> l, List<Object> prefix) {
        if (l.size() < prefix.size()) {
            return false;
        }
        for (int i = 0; i < prefix.size(); i++) {
            if (l.get(i) != prefix.get(i)) {
                return false;
            }
        }
        return true;
    }

    private String named(String name, String hashed) {
        return "\"" + name + "\" (id " + hashed + ")";
    }

    private String nameOf(String hashed) {
        RunHistory.Step s = recorded.containsKey(hashed) ? recorded.get(hashed) : pending.get(hashed);
        if (s != null && s.name() != null) {
            return s.name();
        }
        Reach r = reached.get(hashed);
        return r != null ? r.id() : "?";
    }

    private List<String> names(List<String> hashed) {
        return hashed.stream().map(this::nameOf).toList();
    }

    private String list(List<String> hashed) {
        Set<String> seen = new HashSet<>();
        var out = new ArrayList<String>();
        for (String h : hashed) {
            if (seen.add(h) && out.size() < LISTED) {
                out.add(named(nameOf(h), h));
            }
        }
        int more = seen.size() - out.size();
        return String.join(", ", out) + (more > 0 ? " and " + more + " more" : "");
    }

    private static String cause(RuntimeException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        int at = m.indexOf(" does not fit ");
        return abbreviate(at >= 0 ? m.substring(m.indexOf(": ", at) + 2) : m);
    }

    private static String abbreviate(String s) {
        String one = s.lines().findFirst().orElse("");
        return one.length() <= 200 ? one : one.substring(0, 200) + "…";
    }
}
