package dev.loomstep.benchmarks.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Turns the fan-out benchmark's results ({@code load/fanout-vs-restate.sh}) into one Markdown table:
 * one column per system in the order they ran, one row per measure, each figure with its ratio to the
 * peer's figure on the same row. Reads the {@link E2eDriver} TSV lines (their width column is the
 * fan-out's N) and, optionally, the script's heap lines ({@code system used_kb committed_kb
 * used_after_full_gc_kb ok|failed}, from {@code jcmd GC.heap_info} on the devserver after the big run,
 * N = {@code --big}, 10,000 by default; {@code failed}: the run had outlived its timeout then).
 * A round the driver recorded as failed shows as {@code failed (reason)}.
 *
 * <pre>java -cp benchmarks.jar dev.loomstep.benchmarks.e2e.FanOutTable results.tsv --peer Restate [--heap heap.tsv] [--big 10000]</pre>
 */
public final class FanOutTable {
    private FanOutTable() {}

    /** One driver line: figures, or {@code failure} when the round failed. */
    record Cell(String system, int concurrency, int width, double runsPerSecond, double p50, double p90, String failure) {
        boolean failed() {
            return failure != null;
        }
    }

    record Heap(String system, long usedKb, long committedKb, long afterGcKb, boolean runFinished) {}

    public static void main(String[] args) throws Exception {
        Path results = null;
        Path heap = null;
        String peer = null;
        int big = 10_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--peer" -> peer = args[++i];
                case "--heap" -> heap = Path.of(args[++i]);
                case "--big" -> big = Integer.parseInt(args[++i]);
                default -> results = Path.of(args[i]);
            }
        }
        if (results == null || peer == null) {
            throw new IllegalArgumentException("usage: FanOutTable RESULTS.tsv --peer SYSTEM [--heap HEAP.tsv] [--big N]");
        }
        List<Heap> heaps = heap != null && Files.exists(heap) ? readHeap(heap) : List.of();
        System.out.print(table(read(results), heaps, peer, big));
    }

    static List<Cell> read(Path tsv) throws Exception {
        var cells = new ArrayList<Cell>();
        for (String line : Files.readAllLines(tsv)) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            int width = f.length > 7 ? Integer.parseInt(f[7]) : 0;
            if (f[2].equals("failed")) {
                cells.add(new Cell(f[0], Integer.parseInt(f[1]), width, 0, 0, 0, f[3]));
            } else {
                cells.add(new Cell(f[0], Integer.parseInt(f[1]), width, Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                        Double.parseDouble(f[6]), null));
            }
        }
        return cells;
    }

    static List<Heap> readHeap(Path tsv) throws Exception {
        var heaps = new ArrayList<Heap>();
        for (String line : Files.readAllLines(tsv)) {
            if (!line.isBlank()) {
                String[] f = line.split("\t");
                heaps.add(new Heap(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                        f.length < 5 || f[4].equals("ok")));
            }
        }
        return heaps;
    }

    /** A measure: which round (width, concurrency) and which figure of it; {@code time} says lower is better. */
    private record Measure(String label, int width, int concurrency, Function<Cell, Double> value, boolean time) {}

    static String table(List<Cell> cells, List<Heap> heaps, String peer, int big) {
        var systems = new LinkedHashSet<String>();
        cells.forEach(c -> systems.add(c.system()));
        heaps.forEach(h -> systems.add(h.system()));
        var measures = List.of(
                new Measure("N = 100, one run at a time: p50", 100, 1, Cell::p50, true),
                new Measure("N = 100, one run at a time: p90", 100, 1, Cell::p90, true),
                new Measure("N = 1,000, one run at a time: p50", 1000, 1, Cell::p50, true),
                new Measure("10 runs of N = 100 in flight: runs/s", 100, 10, Cell::runsPerSecond, false),
                new Measure("10 runs of N = 100 in flight: steps/s", 100, 10, c -> c.runsPerSecond() * c.width(), false),
                new Measure(String.format(Locale.ROOT, "N = %,d, one run: time", big), big, 1, Cell::p50, true));
        Map<String, Cell> byKey = new LinkedHashMap<>();
        cells.forEach(c -> byKey.put(c.system() + "/" + c.width() + "/" + c.concurrency(), c));

        var sb = new StringBuilder("| measure |");
        systems.forEach(s -> sb.append(' ').append(s).append(" |"));
        sb.append("\n|---|");
        systems.forEach(s -> sb.append("---:|"));
        sb.append('\n');
        for (Measure m : measures) {
            if (systems.stream().noneMatch(s -> byKey.containsKey(s + "/" + m.width() + "/" + m.concurrency()))) {
                continue;
            }
            sb.append("| ").append(m.label()).append(" |");
            Cell p = byKey.get(peer + "/" + m.width() + "/" + m.concurrency());
            for (String s : systems) {
                Cell c = byKey.get(s + "/" + m.width() + "/" + m.concurrency());
                sb.append(' ').append(cell(c, p, m, s.equals(peer))).append(" |");
            }
            sb.append('\n');
        }
        if (!heaps.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "| devserver heap after the N = %,d run (`jcmd GC.heap_info`): used · after a full GC |", big));
            for (String s : systems) {
                Heap h = heaps.stream().filter(x -> x.system().equals(s)).findFirst().orElse(null);
                sb.append(' ').append(h == null ? "–" : String.format(Locale.ROOT, "%s%s · %s (committed %s)",
                        h.runFinished() ? "" : "run unfinished at its timeout: ", mib(h.usedKb()),
                        h.afterGcKb() < 0 ? "?" : mib(h.afterGcKb()), mib(h.committedKb()))).append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String cell(Cell c, Cell peer, Measure m, boolean isPeer) {
        if (c == null) {
            return "–";
        }
        if (c.failed()) {
            return "failed (" + c.failure() + ")";
        }
        double v = m.value().apply(c);
        String figure = m.time() ? ms(v) : String.format(Locale.ROOT, "%,.1f", v);
        if (isPeer || peer == null || peer.failed()) {
            return figure;
        }
        double ratio = v / Objects.requireNonNull(m.value().apply(peer));
        return String.format(Locale.ROOT, "%s (%.2f×)", figure, ratio);
    }

    private static String ms(double ms) {
        return ms >= 10_000 ? String.format(Locale.ROOT, "%,.1f s", ms / 1000)
                : ms >= 100 ? String.format(Locale.ROOT, "%,.0f ms", ms) : String.format(Locale.ROOT, "%.1f ms", ms);
    }

    private static String mib(long kb) {
        return String.format(Locale.ROOT, "%,.1f MiB", kb / 1024.0);
    }
}
