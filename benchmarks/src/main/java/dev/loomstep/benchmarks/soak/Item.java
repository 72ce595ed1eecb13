package dev.loomstep.benchmarks.soak;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * One logical start of the workload: what it sends (its events, with ids the driver chose so a send
 * retried after a lost answer is deduplicated by the devserver), when, and what must come of it.
 */
final class Item {
    final int index;
    final Kind kind;
    final String tag;
    final long n;
    final long startAtMs;
    /** Ids the devserver answered 200 for. */
    final List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
    /** The reply event's id once acknowledged ({@link Kind#WAIT_MATCHED}). */
    volatile String replyId;
    /** A 4xx answer's line, when the devserver refused a send. */
    volatile String refused;

    Item(int index, Kind kind, long n, long startAtMs) {
        this.index = index;
        this.kind = kind;
        this.tag = kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + "-" + index;
        this.n = n;
        this.startAtMs = startAtMs;
    }

    /** The output value its run must return ({@link SoakApp}'s arithmetic, written out independently). */
    long expectedValue() {
        return switch (kind) {
            case SEQ -> (n + 1) * 2 + 3;
            case SLEEP -> 3 * n + 1;
            case WAIT_MATCHED -> n + 5 + replyValue();
            case WAIT_TIMED_OUT -> (n + 5) * 10;
            case INVOKE -> 2 * n + 1;
            case CHILD -> 2 * n;
            case FANOUT -> 4 * n + 6;
            case DEBOUNCE -> 2 * 100 + n; // the last of three events, i = 2
            case BATCH -> (long) Kind.BATCH_SIZE * (Kind.BATCH_SIZE - 1) / 2;
            case IDEMPOTENT -> 5 * n;
            case LIMITED -> n + 42;
            case RETRY -> 9 * n;
            case DOOMED, ON_FAILURE -> 0; // fails; its onFailure run returns "compensated"
        };
    }

    long replyValue() {
        return 7 * n;
    }

    String eventId(int k) {
        return tag + "-e" + k;
    }

    /** The plan: {@code o.starts} items, kinds drawn by weight, start times uniform over the window. */
    static List<Item> plan(SoakOptions o, Random random) {
        int total = 0;
        for (Kind k : Kind.values()) {
            total += k.weight;
        }
        var items = new ArrayList<Item>();
        for (int i = 0; i < o.starts; i++) {
            int pick = random.nextInt(total);
            Kind kind = null;
            for (Kind k : Kind.values()) {
                pick -= k.weight;
                if (pick < 0) {
                    kind = k;
                    break;
                }
            }
            items.add(new Item(i, kind, 1 + random.nextInt(1_000), (long) (random.nextDouble() * o.window.toMillis())));
        }
        return items;
    }
}
