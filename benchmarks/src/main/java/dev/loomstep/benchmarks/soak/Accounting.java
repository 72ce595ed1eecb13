package dev.loomstep.benchmarks.soak;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Counts what came of the soak, from the devserver's REST API (runs, their outputs and step timelines,
 * events) and the app's {@link Ledger} (every step body that ran to its end). The definitions, also in
 * benchmarks/README.md:
 * <ul>
 * <li><b>completed right</b>: the logical start has exactly one run of its function, ended as it must
 *     (Completed; Failed for {@link Kind#DOOMED}) with the expected output; its invoked child (one run)
 *     likewise. A doomed start's onFailure run (exactly one, Completed) is counted on its own row,
 *     {@link Kind#ON_FAILURE}.
 * <li><b>lost</b>: no run at all for an acknowledged start (or no child / onFailure run where one is due).
 * <li><b>duplicated</b>: two or more runs for one logical start (one event, one debounce burst, one
 *     batch, one idempotency key), or two child / onFailure runs.
 * <li><b>wrong</b>: one run that ended otherwise or with another output; <b>unfinished</b>: still running
 *     when the soak stopped waiting.
 * <li><b>re-executed after commit</b>: a step execution in the ledger that <em>started</em> after the
 *     devserver had committed that step's result (the step's {@code ended_at} in the run's timeline, which
 *     is set once, when the output is first memoized). An execution that started before the commit and
 *     ended after it (a call from before a crash still running) is not one; nor is running a step again
 *     because the SDK died or the devserver crashed before the output was committed: steps are
 *     at-least-once until then, and those repeats are counted apart as <b>at-least-once repeats</b>.
 * <li><b>dropped</b>: an event the devserver acknowledged (200 from {@code /e}) that it no longer knows,
 *     or that started no run with no flow-control reason: a batched or idempotent event is accounted for
 *     when its batch / key has its run (a batch's run must list it), a debounced event when its burst has
 *     its run (see {@link #judgeDebounce}), a reply when the wait it was sent for matched.
 * <li><b>ledger gaps</b>: a step committed as completed with no execution in the ledger (should not
 *     happen: the ledger line is forced to disk before a step returns).
 * </ul>
 */
final class Accounting {
    record Report(String table, String details, boolean clean, int devserverKills, int appKills) {}

    private enum Outcome { RIGHT, WRONG, LOST, DUPLICATED, UNFINISHED }

    private final Rest rest;
    private final Map<String, JsonNode> events = new HashMap<>();
    /** function → tag → run details. */
    private final Map<String, Map<String, List<JsonNode>>> runs = new HashMap<>();
    private final List<String> details = new ArrayList<>();

    private Accounting(Rest rest) {
        this.rest = rest;
    }

    static Report compute(Rest rest, List<Item> items, List<Ledger.Entry> ledger, Cluster cluster, SoakOptions o,
                          List<String> sendErrors) {
        var a = new Accounting(rest);
        Set<String> functions = new LinkedHashSet<>();
        for (Kind k : Kind.values()) {
            functions.add(k.function());
        }
        int totalRuns = 0;
        for (String f : functions) {
            totalRuns += a.load(f);
        }
        return a.report(items, ledger, cluster, o, sendErrors, totalRuns);
    }

    /** Every run of a function, in detail, grouped by the tag of the logical start it belongs to. */
    private int load(String function) {
        var byTag = runs.computeIfAbsent(function, f -> new HashMap<>());
        String cursor = null;
        int count = 0;
        do {
            JsonNode page = rest.get("/v1/runs?function=" + function + "&limit=1000"
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
            for (JsonNode row : page.path("data")) {
                JsonNode run = rest.get("/v1/runs/" + row.path("run_id").asText()).path("data");
                byTag.computeIfAbsent(tagOf(run), t -> new ArrayList<>()).add(run);
                count++;
            }
            cursor = page.path("next_cursor").isTextual() ? page.path("next_cursor").asText() : null;
        } while (cursor != null);
        return count;
    }

    private String tagOf(JsonNode run) {
        String tag = run.path("output").path("tag").asText("");
        if (!tag.isEmpty()) {
            return tag;
        }
        JsonNode e = event(run.path("event_id").asText());
        if (e == null) {
            return "?";
        }
        JsonNode data = e.path("data");
        return data.path("tag").asText(data.path("event").path("data").path("tag").asText("?"));
    }

    private JsonNode event(String id) {
        return events.computeIfAbsent(id, i -> {
            JsonNode e = rest.find("/v1/events/" + i);
            return e == null ? null : e.has("data") && e.get("data").has("name") ? e.get("data") : e;
        });
    }

    private List<JsonNode> runs(String function, String tag) {
        return runs.getOrDefault(function, Map.of()).getOrDefault(tag, List.of());
    }

    private Report report(List<Item> items, List<Ledger.Entry> ledger, Cluster cluster, SoakOptions o,
                         List<String> sendErrors, int totalRuns) {
        var perKind = new EnumMap<Kind, int[]>(Kind.class); // starts, right, wrong, lost, dup, unfinished, events, dropped
        int[] total = new int[8];
        int[] failing = new int[8]; // total without the known gaps
        for (Item item : items) {
            count(perKind, total, failing, o, item.kind, judge(item), item.acknowledged.size() + (item.replyId != null ? 1 : 0),
                    dropped(item));
            if (item.kind == Kind.DOOMED) {
                count(perKind, total, failing, o, Kind.ON_FAILURE,
                        one(item, "onFailure run", runs(Kind.ON_FAILURE.function(), item.tag), "Completed", null), 0, 0);
            }
            if (item.refused != null) {
                details.add(item.tag + ": refused: " + item.refused);
            }
        }
        StepAudit steps = StepAudit.of(runs.values().stream().flatMap(m -> m.values().stream()).flatMap(List::stream).toList(),
                ledger, details);

        var t = new StringBuilder();
        t.append("\n| kind | runs expected | completed right | wrong | lost | duplicated | unfinished | events acked | dropped |\n");
        t.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        perKind.forEach((k, r) -> t.append(row(k.name().toLowerCase(java.util.Locale.ROOT)
                + (o.knownGaps.contains(k) ? " (known gap)" : ""), r)));
        t.append(row("**total**", total));
        t.append("\nruns expected: ").append(total[0]).append(" (").append(items.size())
                .append(" logical starts, and an onFailure run for each doomed one)")
                .append(" · runs the devserver holds: ").append(totalRuns).append('\n');
        t.append("completed with the right output: ").append(total[1]).append('\n');
        t.append("lost: ").append(total[3]).append(" · duplicated: ").append(total[4]).append(" · wrong: ").append(total[2])
                .append(" · unfinished: ").append(total[5]).append('\n');
        t.append("steps re-executed after their output was committed: ").append(steps.reExecutedAfterCommit())
                .append(" (of ").append(steps.checked()).append(" committed steps; at-least-once repeats before a commit: ")
                .append(steps.atLeastOnceRepeats()).append("; ledger gaps: ").append(steps.ledgerGaps()).append(")\n");
        t.append("events acknowledged: ").append(total[6]).append(" · dropped: ").append(total[7]).append('\n');
        t.append("SIGKILLs: devserver ").append(cluster.devserverKills).append(", app ").append(cluster.appKills)
                .append(" (one of them a ").append(o.outage.toSeconds()).append(" s outage) · seed ").append(o.seed)
                .append(" · checkpointing ").append(o.checkpointing).append('\n');
        for (String e : sendErrors) {
            details.add("send error: " + e);
        }
        boolean clean = failing[2] + failing[3] + failing[4] + failing[5] + failing[7] + steps.reExecutedAfterCommit() + steps.ledgerGaps() == 0
                && sendErrors.isEmpty() && items.stream().allMatch(i -> i.refused == null);
        if (!o.knownGaps.isEmpty()) {
            t.append("known gaps (printed, not failing): ").append(o.knownGaps).append('\n');
        }
        t.append(clean ? "RESULT: clean\n" : "RESULT: NOT clean (details in report.txt)\n");
        return new Report(t.toString(), String.join("\n", details) + "\n", clean, cluster.devserverKills, cluster.appKills);
    }

    private static void count(Map<Kind, int[]> perKind, int[] total, int[] failing, SoakOptions o, Kind kind,
                              Outcome out, int events, int dropped) {
        int[] row = perKind.computeIfAbsent(kind, k -> new int[8]);
        for (int[] r : o.knownGaps.contains(kind) ? List.of(row, total) : List.of(row, total, failing)) {
            r[0]++;
            r[1 + out.ordinal()]++;
            r[6] += events;
            r[7] += dropped;
        }
    }

    private static String row(String name, int[] r) {
        return "| " + name + " | " + r[0] + " | " + r[1] + " | " + r[2] + " | " + r[3] + " | " + r[4] + " | " + r[5]
                + " | " + r[6] + " | " + r[7] + " |\n";
    }

    private Outcome judge(Item item) {
        List<JsonNode> main = runs(item.kind.function(), item.tag);
        if (item.kind == Kind.DEBOUNCE) {
            return judgeDebounce(item, main);
        }
        if (item.kind == Kind.BATCH) {
            return judgeBatch(item, main);
        }
        Outcome out = one(item, "run", main, item.kind == Kind.DOOMED ? "Failed" : "Completed",
                item.kind == Kind.DOOMED ? null : item.expectedValue());
        if (out == Outcome.RIGHT && item.kind == Kind.INVOKE) {
            out = one(item, "child run", runs(Kind.CHILD.function(), item.tag), "Completed", 2 * item.n);
        }
        return out;
    }

    /**
     * Every acknowledged event of a batch must be in exactly one Completed batch run whose output sums its
     * events' {@code i}. One run is due; two only when the second request reached the devserver at least
     * the batch timeout (2 s) after the first, so the first batch had legitimately started partial.
     */
    private Outcome judgeBatch(Item item, List<JsonNode> main) {
        var seen = new HashMap<String, Integer>();
        for (JsonNode run : main) {
            String s = run.path("status").asText();
            if (s.equals("Running")) {
                details.add(item.tag + ": unfinished batch run " + run.path("run_id").asText() + ": " + brief(run));
                return Outcome.UNFINISHED;
            }
            long sum = 0;
            for (JsonNode e : run.path("output").path("events")) {
                seen.merge(e.asText(), 1, Integer::sum);
                sum += Integer.parseInt(e.asText().substring(e.asText().lastIndexOf("-e") + 2));
            }
            if (!s.equals("Completed") || run.path("output").path("value").asLong(Long.MIN_VALUE) != sum) {
                details.add(item.tag + ": wrong batch run " + run.path("run_id").asText() + ": " + s + ", output "
                        + run.path("output") + ", error " + run.path("error"));
                return Outcome.WRONG;
            }
        }
        var twice = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
        if (!twice.isEmpty()) {
            details.add(item.tag + ": duplicated: events " + twice + " ran in more than one batch run");
            return Outcome.DUPLICATED;
        }
        var missing = item.acknowledged.stream().filter(id -> !seen.containsKey(id)).toList();
        if (!missing.isEmpty()) {
            details.add(item.tag + ": lost: events " + missing + " are in no batch run (runs: "
                    + main.stream().map(r -> r.path("run_id").asText()).toList() + ")");
            return Outcome.LOST;
        }
        int half = Kind.BATCH_SIZE / 2;
        if (main.size() > 1 && gapMs(item, half - 1) < BATCH_TIMEOUT_MS) {
            details.add(item.tag + ": wrong: " + main.size() + " batch runs though all " + Kind.BATCH_SIZE
                    + " events came within the batch timeout");
            return Outcome.WRONG;
        }
        return Outcome.RIGHT;
    }

    private static final long BATCH_TIMEOUT_MS = 1_800; // SoakApp's 2 s batch timeout, less clock slack

    /**
     * A debounce burst must end in exactly one run started by its last event. A run started by an earlier
     * event is right too when the next event reached the devserver at least the debounce period later
     * (the sender retries across a dead devserver, so a burst can be split in time): that run's debounce
     * had legitimately fired, and when the gap is clearly longer (1.5 s) that run is due. Any other run is
     * a duplicate.
     *
     * <p>Both judgments are the devserver's own: they compare the events' {@code received_at}, read from
     * its clock in the same unit of work that admits the event, and the devserver decides on that clock
     * too: the period runs from the admission's instant, and a held event whose period ended before the
     * next event was admitted starts its run then, whether or not its timer has run yet. So they hold
     * however slowly a loaded machine runs the driver, the timer or the writer; the slack around the 1 s
     * period covers only the time between reading {@code received_at} and the admission's instant in
     * that one unit (saving the event, matching triggers). Issue 20's "lost" debounces were the two ways
     * the devserver used to count on another clock: a timer running late let the next event replace a due
     * one, and the period ran from after the key's CEL was compiled (over a second on a cold, loaded JVM).
     */
    private Outcome judgeDebounce(Item item, List<JsonNode> main) {
        int last = 2;
        var byIndex = new HashMap<Integer, List<JsonNode>>();
        for (JsonNode run : main) {
            byIndex.computeIfAbsent(indexOf(item, run), k -> new ArrayList<>()).add(run);
        }
        Outcome worst = Outcome.RIGHT;
        for (var e : byIndex.entrySet()) {
            int k = e.getKey();
            boolean allowed = k == last || (k >= 0 && k < last && gapMs(item, k) >= DEBOUNCE_PERIOD_MS);
            if (!allowed) {
                details.add(item.tag + ": duplicated: a run started by event " + k + " although the burst went on within "
                        + "the debounce period: " + e.getValue().stream().map(r -> r.path("run_id").asText()).toList());
                return Outcome.DUPLICATED;
            }
            Outcome o = one(item, "run of event " + k, e.getValue(), "Completed", k * 100L + item.n);
            if (o.ordinal() > worst.ordinal()) {
                worst = o;
            }
        }
        for (int k = 0; k < last; k++) {
            if (!byIndex.containsKey(k) && gapMs(item, k) >= DEBOUNCE_FIRED_MS) {
                details.add(item.tag + ": lost: event " + k + " was held alone long enough for its debounce to fire "
                        + "(the next event came " + gapMs(item, k) + " ms later) but it started no run");
                return Outcome.LOST;
            }
        }
        if (!byIndex.containsKey(last)) {
            details.add(item.tag + ": lost: no run started by the burst's last event (runs: "
                    + main.stream().map(r -> r.path("run_id").asText() + " of event " + indexOf(item, r)).toList() + ")");
            return Outcome.LOST;
        }
        return worst;
    }

    private static final long DEBOUNCE_PERIOD_MS = 900; // SoakApp's 1 s debounce, less clock slack
    /** A gap after which the held event's run is surely due (the clock reads of one unit apart). */
    private static final long DEBOUNCE_FIRED_MS = 1_500;

    /** Which of the item's events started the run (-1 when none of them). */
    private int indexOf(Item item, JsonNode run) {
        String eventId = run.path("event_id").asText();
        for (int k = 0; k < 3; k++) {
            if (item.eventId(k).equals(eventId)) {
                return k;
            }
        }
        return -1;
    }

    /** How long after event k event k + 1 reached the devserver (its {@code received_at}); 0 if unknown. */
    private long gapMs(Item item, int k) {
        JsonNode a = event(item.eventId(k));
        JsonNode b = event(item.eventId(k + 1));
        if (a == null || b == null || !a.path("received_at").isTextual() || !b.path("received_at").isTextual()) {
            return 0;
        }
        return Instant.parse(b.path("received_at").asText()).toEpochMilli() - Instant.parse(a.path("received_at").asText()).toEpochMilli();
    }

    /** Exactly one run, ended {@code status}, with {@code value} as its output's value when not null. */
    private Outcome one(Item item, String what, List<JsonNode> found, String status, Long value) {
        if (found.isEmpty()) {
            details.add(item.tag + ": lost: no " + what + " (events acknowledged: " + item.acknowledged + ")");
            return Outcome.LOST;
        }
        if (found.size() > 1) {
            details.add(item.tag + ": duplicated: " + found.size() + " " + what + "s: "
                    + found.stream().map(r -> r.path("run_id").asText() + " " + r.path("status").asText()).toList());
            return Outcome.DUPLICATED;
        }
        JsonNode run = found.get(0);
        String s = run.path("status").asText();
        if (s.equals("Running")) {
            details.add(item.tag + ": unfinished " + what + " " + run.path("run_id").asText() + ": " + brief(run));
            return Outcome.UNFINISHED;
        }
        boolean right = s.equals(status) && (value == null || run.path("output").path("value").asLong(Long.MIN_VALUE) == value);
        if (!right) {
            details.add(item.tag + ": wrong " + what + " " + run.path("run_id").asText() + ": " + s + ", output "
                    + run.path("output") + ", error " + run.path("error") + (value == null ? "" : ", expected value " + value));
            return Outcome.WRONG;
        }
        return Outcome.RIGHT;
    }

    private static String brief(JsonNode run) {
        var steps = new ArrayList<String>();
        run.path("steps").forEach(s -> steps.add(s.path("name").asText() + ":" + s.path("status").asText()));
        return "steps " + steps + ", last_error " + run.path("last_error") + ", flow_control " + run.path("flow_control");
    }

    /** Acknowledged events of the item that the devserver lost or that started nothing with no reason. */
    private int dropped(Item item) {
        int dropped = 0;
        List<JsonNode> main = runs(item.kind.function(), item.tag);
        for (String id : item.acknowledged) {
            if (event(id) == null) {
                details.add(item.tag + ": event " + id + " was acknowledged but the devserver does not know it");
                dropped++;
                continue;
            }
            boolean accounted = switch (item.kind) {
                case BATCH -> main.stream().anyMatch(r -> contains(r.path("output").path("events"), id)
                        || r.path("event_id").asText().equals(id));
                case DEBOUNCE -> {
                    // Its burst ends at the first later event whose debounce surely fired (or at the last one).
                    int k = item.acknowledged.indexOf(id);
                    int end = k;
                    while (end < 2 && gapMs(item, end) < DEBOUNCE_FIRED_MS) {
                        end++;
                    }
                    int from = k;
                    int to = end;
                    yield main.stream().mapToInt(r -> indexOf(item, r)).anyMatch(j -> j >= from && j <= to);
                }
                case IDEMPOTENT -> !main.isEmpty();
                default -> main.stream().anyMatch(r -> r.path("event_id").asText().equals(id));
            };
            if (!accounted) {
                details.add(item.tag + ": event " + id + " started no run and no " + item.kind + " rule explains it");
                dropped++;
            }
        }
        if (item.replyId != null) {
            boolean matched = main.stream().anyMatch(r -> {
                for (JsonNode s : r.path("steps")) {
                    if (s.path("name").asText().equals("reply")) {
                        return s.path("wait").path("matched_event_id").asText().equals(item.replyId);
                    }
                }
                return false;
            });
            if (!matched) {
                details.add(item.tag + ": reply " + item.replyId + " was acknowledged while the wait was waiting, "
                        + "but did not resume it");
                dropped++;
            }
        }
        return dropped;
    }

    private static boolean contains(JsonNode array, String id) {
        for (JsonNode e : array) {
            if (e.asText().equals(id)) {
                return true;
            }
        }
        return false;
    }
}
